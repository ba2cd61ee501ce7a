/**
 * AppArmor and SELinux fields on this host. Where the host runs neither module (checked below, so
 * the test says so if that changes), keel refuses each field before anything runs, as runc does.
 */
import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { readLsmFacts } from '../../src/host/lsm.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let runc: RuncRoot | undefined;
afterAll(() => runc?.cleanup());

const CASES: [string, (s: Spec) => void, string][] = [
  ['process.apparmorProfile', (s) => (s.process!.apparmorProfile = 'keel-test-profile'), '/process/apparmorProfile: AppArmor is not enabled on this host'],
  ['process.selinuxLabel', (s) => (s.process!.selinuxLabel = 'system_u:system_r:container_t:s0'), '/process/selinuxLabel: SELinux is not enabled on this host'],
  ['linux.mountLabel', (s) => (s.linux!.mountLabel = 'system_u:object_r:container_file_t:s0'), '/linux/mountLabel: SELinux is not enabled on this host'],
];

describe('security labels on a host without AppArmor or SELinux', () => {
  it('this host runs neither module', () => {
    expect(readLsmFacts()).toMatchObject({ apparmor: false, selinux: false });
    expect(existsSync('/sys/fs/selinux/enforce')).toBe(false);
  });

  it.each(CASES)('%s is refused before anything runs, naming the field, and runc refuses it too', (_, edit, message) => {
    const id = `lsm-${process.pid}-${CASES.findIndex((c) => c[1] === edit)}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo ran'];
      edit(s);
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`config.json: ${message}`);
    expect(bed.keel.containers()).toEqual([]);

    runc ??= new RuncRoot();
    const theirs = runc.run(['run', '--bundle', b.dir, id]);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stdout).toBe('');
  });
});
