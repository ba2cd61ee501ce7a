/**
 * AppArmor and SELinux fields on this host. Where the host does not run the field's module (this
 * project's machines run neither), keel refuses the field before anything runs, as runc does;
 * where it does, keel and runc give the same outcome for the same config.
 */
import { afterAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { readLsmFacts } from '../../src/host/lsm.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let runc: RuncRoot | undefined;
afterAll(() => runc?.cleanup());

const lsm = readLsmFacts();
const CASES: [string, 'apparmor' | 'selinux', (s: Spec) => void, string][] = [
  ['process.apparmorProfile', 'apparmor', (s) => (s.process!.apparmorProfile = 'keel-test-profile'), '/process/apparmorProfile: AppArmor is not enabled on this host'],
  ['process.selinuxLabel', 'selinux', (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'), '/process/selinuxLabel: SELinux is not enabled on this host'],
  ['linux.mountLabel', 'selinux', (s) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'), '/linux/mountLabel: SELinux is not enabled on this host'],
];

describe('security labels, on a host with or without each module', () => {
  it.each(CASES)('%s (%s): refused before anything runs, naming the field, where the module is off (runc refuses it too); where on, the outcome runc gives', (_, module, edit, message) => {
    const id = `lsm-${process.pid}-${CASES.findIndex((c) => c[2] === edit)}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo ran'];
      edit(s);
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, id]);
    runc ??= new RuncRoot();
    const theirs = runc.run(['run', '--bundle', b.dir, id]);
    if (lsm[module]) {
      expect({ ran: r.stdout, ok: r.code === 0 }).toEqual({ ran: theirs.stdout, ok: theirs.code === 0 });
      return;
    }
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`config.json: ${message}`);
    expect(bed.keel.containers()).toEqual([]);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stdout).toBe('');
  });
});
