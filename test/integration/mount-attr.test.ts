/**
 * The recursive mount options (config.md's AT_RECURSIVE ones), through mount_setattr: each one
 * changes the bind mount and the mount below it, which a plain option (a remount) leaves alone.
 * The host trees carry a submount each: a plain tmpfs (for the options that turn something on),
 * and one whose mount flags are all on (for the options that turn them off).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mountsMentioning } from '../helpers/host.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let plain = '';
let flagged = '';

function treeWithSubmount(remount?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-rec-'));
  mkdirSync(join(dir, 'sub'));
  execFileSync('mount', ['-t', 'tmpfs', 'keel-rec', join(dir, 'sub')]);
  if (remount) execFileSync('mount', ['-o', `remount,bind,${remount}`, join(dir, 'sub')]);
  return dir;
}

beforeAll(() => {
  plain = treeWithSubmount();
  flagged = treeWithSubmount('ro,nosuid,nodev,noexec,noatime,nodiratime,nosymfollow');
});
afterAll(() => {
  for (const dir of [plain, flagged].filter(Boolean)) {
    execFileSync('umount', [join(dir, 'sub')]);
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Per-mount options of each mount under /m, as the container's mountinfo shows them. */
function mountOptionsInside(options: Record<string, string>, binary?: RuncRoot): Record<string, string> {
  const b = bed.bundle((s) => {
    s.process!.args = ['cat', '/proc/self/mountinfo'];
    for (const [name, option] of Object.entries(options)) {
      const source = ['rrw', 'rsuid', 'rdev', 'rexec', 'rdiratime', 'rsymfollow', 'ratime', 'rrelatime', 'rnostrictatime'].includes(option) ? flagged : plain;
      s.mounts!.push({ destination: `/m/${name}`, type: 'bind', source, options: ['rbind', option] });
    }
  });
  const out = (binary ?? bed.keel).ok(['run', '--bundle', b.dir, `rec-${process.pid}`]);
  return Object.fromEntries(out.trim().split('\n').map((line) => line.split(' ')).filter((f) => f[4]!.startsWith('/m/')).map((f) => [f[4]!, f[5]!]));
}

/** option -> what the per-mount options of the bind and of its submount must then show. */
const EFFECTS: Record<string, (opts: string[]) => boolean> = {
  rro: (o) => o.includes('ro'),
  rrw: (o) => o.includes('rw'),
  rnosuid: (o) => o.includes('nosuid'),
  rsuid: (o) => !o.includes('nosuid'),
  rnodev: (o) => o.includes('nodev'),
  rdev: (o) => !o.includes('nodev'),
  rnoexec: (o) => o.includes('noexec'),
  rexec: (o) => !o.includes('noexec'),
  rnodiratime: (o) => o.includes('nodiratime'),
  rdiratime: (o) => !o.includes('nodiratime'),
  rnosymfollow: (o) => o.includes('nosymfollow'),
  rsymfollow: (o) => !o.includes('nosymfollow'),
  rnoatime: (o) => o.includes('noatime'),
  rstrictatime: (o) => !o.includes('noatime') && !o.includes('relatime'),
  rrelatime: (o) => o.includes('relatime'),
  ratime: (o) => o.includes('relatime') && !o.includes('noatime'),
  rnorelatime: (o) => !o.includes('noatime') && !o.includes('relatime'),
  rnostrictatime: (o) => o.includes('relatime'),
};

describe('recursive mount options', () => {
  it('each one applies to the bind mount and to the mount below it', () => {
    const seen = mountOptionsInside(Object.fromEntries(Object.keys(EFFECTS).map((o) => [o, o])));
    for (const [option, holds] of Object.entries(EFFECTS)) {
      for (const at of [`/m/${option}`, `/m/${option}/sub`]) {
        expect(seen[at], `${option} at ${at}`).toBeDefined();
        expect(holds(seen[at]!.split(',')), `${option} at ${at}: ${seen[at]}`).toBe(true);
      }
    }
    expect(bed.keel.containers()).toEqual([]);
  });

  it('rro makes a submount read-only, where ro leaves it writable; runc 1.1.5 agrees', () => {
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'touch /rro/sub/f 2>&1; touch /ro/sub/f && echo ro-sub-writable'];
      s.mounts!.push({ destination: '/rro', type: 'bind', source: plain, options: ['rbind', 'rro'] }, { destination: '/ro', type: 'bind', source: plain, options: ['rbind', 'ro'] });
    });
    const keel = bed.keel.ok(['run', '--bundle', b.dir, `rro-${process.pid}`]);
    expect(keel).toMatch(/touch: \/rro\/sub\/f: Read-only file system\nro-sub-writable\n/);
    const runc = new RuncRoot();
    try {
      expect(runc.ok(['run', '--bundle', b.dir, `rro-runc-${process.pid}`])).toBe(keel);
    } finally {
      runc.cleanup();
    }
    expect(mountsMentioning(b.dir)).toEqual([]);
  });
});

describe('id-mapped mounts', () => {
  /** A host directory (on `fs`: the /tmp file system, or a tmpfs mounted for the test) with files owned by 0 and 1000. */
  function ownedFiles(fs: 'tmp' | 'tmpfs'): string {
    const dir = mkdtempSync(join(tmpdir(), 'keel-idmap-'));
    if (fs === 'tmpfs') execFileSync('mount', ['-t', 'tmpfs', '-o', 'mode=755', 'keel-idmap', dir]);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'f0'), '');
    writeFileSync(join(dir, 'f1000'), '');
    chownSync(join(dir, 'f1000'), 1000, 1000);
    idmapDirs.push(dir);
    return dir;
  }
  const idmapDirs: string[] = [];
  afterAll(() => {
    for (const dir of idmapDirs) {
      if (mountsMentioning(dir).length) execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  const USERNS = { containerID: 0, hostID: 100000, size: 65536 };
  const statScript = 'stat -c "%u:%g %n" /data/f0 /data/f1000; touch /data/new';

  for (const fs of ['tmp', 'tmpfs'] as const) {
    it(`on ${fs === 'tmp' ? `/tmp (${execFileSync('findmnt', ['-n', '-o', 'FSTYPE', '-T', tmpdir()], { encoding: 'utf8' }).trim()})` : 'tmpfs'}: idmap gives the container's user namespace the files as their owners on disk; a plain bind shows them unmapped`, () => {
      const dir = ownedFiles(fs);
      const run = (options: string[]) => {
        const b = bed.bundle((s) => {
          s.process!.args = ['sh', '-c', statScript];
          s.linux!.namespaces!.push({ type: 'user' });
          s.linux!.uidMappings = [USERNS];
          s.linux!.gidMappings = [USERNS];
          s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options });
        });
        chmodSync(b.dir, 0o755); // the container's root is the host's 100000: it must reach the rootfs,
        mkdirSync(join(b.rootfs, 'data'), { recursive: true }); // and cannot write in it
        return bed.keel.run(['run', '--bundle', b.dir, `idmap-${process.pid}`]);
      };
      const mapped = run(['bind', 'idmap']);
      expect(mapped.stderr).toBe('');
      expect(mapped.stdout).toBe('0:0 /data/f0\n1000:1000 /data/f1000\n');
      // The container's root writes as uid 0 on disk, not as the host's 100000.
      expect(statSync(join(dir, 'new'))).toMatchObject({ uid: 0, gid: 0 });
      rmSync(join(dir, 'new'));
      const plainBind = run(['bind']);
      expect(plainBind.stdout).toBe('65534:65534 /data/f0\n65534:65534 /data/f1000\n');
    });
  }

  it("uses the mount's own uidMappings and gidMappings, also in a container without a user namespace", () => {
    const dir = ownedFiles('tmp');
    const b = bed.bundle((s) => {
      s.process!.args = ['stat', '-c', '%u:%g %n', '/data/f0', '/data/f1000'];
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind'], uidMappings: [{ containerID: 1000, hostID: 0, size: 1 }], gidMappings: [{ containerID: 1000, hostID: 0, size: 1 }] });
    });
    // On disk 1000 is "inside" the mount's namespace, which the host's 0 stands for: the file uid 1000 on the host appears as 0.
    expect(bed.keel.ok(['run', '--bundle', b.dir, `idmap-own-${process.pid}`])).toBe('65534:65534 /data/f0\n0:0 /data/f1000\n');
  });

  it('a file system that cannot be id-mapped (sysfs) fails create, naming the mount, and leaves nothing behind', () => {
    const b = bed.bundle((s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/sys/kernel', options: ['bind'], uidMappings: [USERNS], gidMappings: [USERNS] }));
    const r = bed.keel.run(['create', '--bundle', b.dir, `idmap-sysfs-${process.pid}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/make an id-mapped copy of "\/sys\/kernel" for "\/data".*mount_setattr\(MOUNT_ATTR_IDMAP\) of "\/sys\/kernel": its file system \(or one below it\) cannot be id-mapped/);
    expect(bed.keel.containers()).toEqual([]);
    expect(mountsMentioning(b.dir)).toEqual([]);
  });
});
