/**
 * `keel features` tells the truth: every mount option it lists is accepted by `keel run` and has
 * its effect, as the container's /proc/self/mountinfo shows it (mount options, super-block
 * options, propagation), and the host facts it reports are this host's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mountsMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Features, Mount } from '../../src/spec/types.js';
import { validateFeatures } from '../../src/spec/validate.js';

const bed = useTestbed();
let shared = '';

beforeAll(() => {
  // A shared bind source, so that slave and shared have a peer group to show.
  shared = mkdtempSync(join(tmpdir(), 'keel-feat-'));
  mkdirSync(join(shared, 'sub'));
  execFileSync('mount', ['--bind', shared, shared]);
  execFileSync('mount', ['--make-shared', shared]);
  execFileSync('mount', ['-t', 'tmpfs', 'keel-feat', join(shared, 'sub')]);
});
afterAll(() => {
  if (shared) {
    execFileSync('umount', ['-R', shared]);
    rmSync(shared, { recursive: true, force: true });
  }
});

interface Seen {
  root: string;
  mnt: string[];
  optional: string[];
  sup: string[];
}

/** What each listed option must show; the options no mountinfo field can show are below, with why. */
const EFFECTS: Record<string, (m: Seen, all: Record<string, Seen>) => boolean> = {
  ro: (m) => m.mnt.includes('ro'),
  rw: (m) => m.mnt.includes('rw'),
  nosuid: (m) => m.mnt.includes('nosuid'),
  suid: (m) => !m.mnt.includes('nosuid'),
  nodev: (m) => m.mnt.includes('nodev'),
  dev: (m) => !m.mnt.includes('nodev'),
  noexec: (m) => m.mnt.includes('noexec'),
  exec: (m) => !m.mnt.includes('noexec'),
  noatime: (m) => m.mnt.includes('noatime'),
  atime: (m) => !m.mnt.includes('noatime'),
  relatime: (m) => m.mnt.includes('relatime'),
  strictatime: (m) => !m.mnt.includes('relatime') && !m.mnt.includes('noatime'),
  nodiratime: (m) => m.mnt.includes('nodiratime'),
  diratime: (m) => !m.mnt.includes('nodiratime'),
  nosymfollow: (m) => m.mnt.includes('nosymfollow'),
  symfollow: (m) => !m.mnt.includes('nosymfollow'),
  sync: (m) => m.sup.includes('sync'),
  async: (m) => !m.sup.includes('sync'),
  dirsync: (m) => m.sup.includes('dirsync'),
  lazytime: (m) => m.sup.includes('lazytime'),
  nolazytime: (m) => !m.sup.includes('lazytime'),
  bind: (m) => m.root !== '/',
  rbind: (_m, all) => Object.keys(all).includes('/m/rbind/sub'),
  shared: (m) => m.optional.some((o) => o.startsWith('shared:')),
  rshared: (_m, all) => all['/m/rshared/sub']!.optional.some((o) => o.startsWith('shared:')),
  slave: (m) => m.optional.some((o) => o.startsWith('master:')) && !m.optional.some((o) => o.startsWith('shared:')),
  rslave: (_m, all) => all['/m/rslave/sub']!.optional.some((o) => o.startsWith('master:')),
  private: (m) => m.optional.length === 0,
  rprivate: (_m, all) => all['/m/rprivate/sub']!.optional.length === 0,
  unbindable: (m) => m.optional.includes('unbindable'),
  runbindable: (_m, all) => all['/m/runbindable/sub']!.optional.includes('unbindable'),
  rro: (_m, all) => all['/m/rro/sub']!.mnt.includes('ro'),
  rrw: (_m, all) => all['/m/rrw/sub']!.mnt.includes('rw'),
  rnosuid: (_m, all) => all['/m/rnosuid/sub']!.mnt.includes('nosuid'),
  rsuid: (_m, all) => !all['/m/rsuid/sub']!.mnt.includes('nosuid'),
  rnodev: (_m, all) => all['/m/rnodev/sub']!.mnt.includes('nodev'),
  rdev: (_m, all) => !all['/m/rdev/sub']!.mnt.includes('nodev'),
  rnoexec: (_m, all) => all['/m/rnoexec/sub']!.mnt.includes('noexec'),
  rexec: (_m, all) => !all['/m/rexec/sub']!.mnt.includes('noexec'),
  rnoatime: (_m, all) => all['/m/rnoatime/sub']!.mnt.includes('noatime'),
  ratime: (_m, all) => all['/m/ratime/sub']!.mnt.includes('relatime'),
  rrelatime: (_m, all) => all['/m/rrelatime/sub']!.mnt.includes('relatime'),
  rnorelatime: (_m, all) => !all['/m/rnorelatime/sub']!.mnt.some((o) => o.endsWith('atime')),
  rstrictatime: (_m, all) => !all['/m/rstrictatime/sub']!.mnt.some((o) => o.endsWith('atime')),
  rnostrictatime: (_m, all) => all['/m/rnostrictatime/sub']!.mnt.includes('relatime'),
  rnodiratime: (_m, all) => all['/m/rnodiratime/sub']!.mnt.includes('nodiratime'),
  rdiratime: (_m, all) => !all['/m/rdiratime/sub']!.mnt.includes('nodiratime'),
  rnosymfollow: (_m, all) => all['/m/rnosymfollow/sub']!.mnt.includes('nosymfollow'),
  rsymfollow: (_m, all) => !all['/m/rsymfollow/sub']!.mnt.includes('nosymfollow'),
  // A slave of the host's peer group, as the container's other binds: never shared with the host.
  idmap: (m) => m.mnt.includes('idmapped') && m.optional.some((o) => o.startsWith('master:')) && !m.optional.some((o) => o.startsWith('shared:')),
  ridmap: (_m, all) => all['/m/ridmap/sub']!.mnt.includes('idmapped'),
};

/** Listed options no field of mountinfo can show, and why (each is still run, so still accepted). */
const NOT_IN_MOUNTINFO: Record<string, string> = {
  defaults: 'no flag at all',
  norelatime: 'on a new mount the kernel picks relatime unless noatime or strictatime is given',
  nostrictatime: 'as norelatime',
  mand: 'Linux 5.15 removed mandatory locking: the kernel takes the flag and ignores it',
  nomand: 'as mand',
  iversion: 'tmpfs always counts i_version; mountinfo shows it for no file system here',
  noiversion: 'as iversion',
  silent: 'only quiets the kernel log of this mount',
  loud: 'as silent',
  tmpcopyup: 'checked below: the files under the tmpfs are copied into it',
};

/** The mount that exercises one option: a bind of the shared tree for the bind-side options, a tmpfs for the others. */
function mountFor(option: string): Mount {
  const destination = `/m/${option}`;
  const bindSide = option in EFFECTS && (option.startsWith('r') && option !== 'relatime' && option !== 'rw' && option !== 'ro' ? true : ['bind', 'shared', 'slave', 'private', 'unbindable', 'idmap'].includes(option));
  if (!bindSide) return { destination, type: 'tmpfs', source: 'tmpfs', options: [option] };
  const base = option === 'bind' ? [] : ['rbind'];
  const mappings = option.endsWith('idmap') ? { uidMappings: [{ containerID: 0, hostID: 0, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 0, size: 65536 }] } : {};
  return { destination, type: 'bind', source: shared, options: [...base, option], ...mappings };
}

describe('keel features', () => {
  const claimed = (): Features => JSON.parse(bed.keel.ok(['features']));

  it('matches the features schema and reports this host (AppArmor, SELinux, id-mapped mounts)', () => {
    const f = claimed();
    expect(validateFeatures(f)).toEqual([]);
    expect(f.linux!.selinux!.enabled).toBe(existsSync('/sys/fs/selinux/enforce'));
    expect(f.linux!.apparmor!.enabled).toBe(existsSync('/sys/kernel/security/apparmor'));
    expect(f.linux!.mountExtensions!.idmap!.enabled).toBe(true); // this kernel is 6.x
  });

  it('every mount option it lists is accepted and has its effect', () => {
    const options = claimed().mountOptions!;
    expect(options.filter((o) => !(o in EFFECTS) && !(o in NOT_IN_MOUNTINFO))).toEqual([]);
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'cat /proc/self/mountinfo; echo ---; ls /m/tmpcopyup'];
      s.mounts!.push(...options.map(mountFor));
    });
    mkdirSync(join(b.rootfs, 'm/tmpcopyup'), { recursive: true });
    writeFileSync(join(b.rootfs, 'm/tmpcopyup/seed'), 'x');
    const out = bed.keel.ok(['run', '--bundle', b.dir, `features-${process.pid}`]);
    const [info, copied] = out.split('---\n') as [string, string];
    const seen: Record<string, Seen> = {};
    for (const line of info.trim().split('\n')) {
      const f = line.split(' ');
      const dash = f.indexOf('-');
      seen[f[4]!] = { root: f[3]!, mnt: f[5]!.split(','), optional: f.slice(6, dash), sup: f[dash + 3]!.split(',') };
    }
    for (const option of options) {
      const m = seen[`/m/${option}`];
      expect(m, `${option}: not mounted`).toBeDefined();
      if (option in EFFECTS) expect(EFFECTS[option]!(m!, seen), `${option}: ${JSON.stringify(m)}`).toBe(true);
    }
    expect(copied.trim()).toBe('seed');
    expect(mountsMentioning(b.dir)).toEqual([]);
  });
});
