/**
 * Mount destinations and flags, where an image or a config can surprise a runtime: symlinks whose
 * targets do not exist yet, options that turn a source's flags off, a tmpfs over an image's private
 * directory, and mounts that would land in /proc.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { mountsMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Spec } from '../../src/spec/types.js';

const bed = useTestbed();
const bundles = bed.bundles;
const hostDirs: string[] = [];
afterEach(() => {
  expect(bed.keel.containers()).toEqual([]);
  for (const b of bundles) expect(mountsMentioning(b.dir)).toEqual([]);
});
afterAll(() => {
  for (const dir of hostDirs) {
    if (mountsMentioning(dir).length) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
  }
});

let seq = 0;
/** Runs `script` in a bundle whose rootfs `prepare` may change first; the bundle is returned with the result. */
function runIn(script: string, edit: (s: Spec) => void, prepare: (rootfs: string) => void = () => {}) {
  const bundle: Bundle = makeBundle((s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  bundles.push(bundle);
  prepare(bundle.rootfs);
  return { bundle, ...bed.keel.run(['run', '--bundle', bundle.dir, `mnt-${process.pid}-${seq++}`]) };
}

function hostDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-mnt-src-'));
  hostDirs.push(dir);
  return dir;
}

/** The mount options column of /proc/self/mountinfo for one mount point, from a container's output line "<point> <options>". */
function optionsOf(stdout: string, point: string): string[] {
  const line = stdout.split('\n').find((l) => l.startsWith(`${point} `));
  return line ? line.split(' ')[1]!.split(',') : [];
}

describe('mount destinations through symlinks whose targets do not exist', () => {
  it('creates the target inside the root and mounts there (an image whose /etc/resolv.conf points at a missing file)', () => {
    const src = hostDir();
    writeFileSync(join(src, 'resolv.conf'), 'nameserver 192.0.2.1\n');
    const escape = join(tmpdir(), `keel-mnt-escape-${process.pid}`);
    const r = runIn(
      'cat /etc/resolv.conf; ls /data/x',
      (s) => {
        s.mounts!.push({ destination: '/etc/resolv.conf', type: 'bind', source: join(src, 'resolv.conf'), options: ['bind', 'ro'] });
        // An absolute link, and ".." past the root: both stay inside it.
        s.mounts!.push({ destination: '/data/x', type: 'tmpfs', source: 'tmpfs', options: [] });
      },
      (rootfs) => {
        symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(rootfs, 'etc/resolv.conf'));
        symlinkSync(`/../../..${escape}`, join(rootfs, 'data'));
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('nameserver 192.0.2.1\n');
    expect(r.code).toBe(0);
    expect(readFileSync(join(r.bundle.rootfs, 'run/systemd/resolve/stub-resolv.conf'), 'utf8')).toBe(''); // the mount point, now uncovered
    expect(existsSync(join(r.bundle.rootfs, escape, 'x'))).toBe(true);
    expect(existsSync(escape)).toBe(false);
  });

  it('refuses a chain of links that never ends, naming the destination', () => {
    const r = runIn('true', (s) => s.mounts!.push({ destination: '/loop/m', type: 'tmpfs', source: 'tmpfs' }), (rootfs) => symlinkSync('loop/x', join(rootfs, 'loop')));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keel: mount tmpfs "tmpfs" on "/loop/m": open "/loop/m" in the container root: too many levels of symbolic links\n');
  });
});

describe('bind mount flags', () => {
  it('turns off what exec, suid and an access-time option name, and keeps the flags of the source the options do not mention', () => {
    const src = hostDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'nosuid,nodev,noexec,noatime', 'tmpfs', src]);
    const r = runIn("grep -E ' /(locked|cleared) ' /proc/self/mountinfo | cut -d' ' -f5-6", (s) => {
      s.mounts!.push({ destination: '/locked', type: 'bind', source: src, options: ['bind', 'ro'] });
      s.mounts!.push({ destination: '/cleared', type: 'bind', source: src, options: ['bind', 'ro', 'exec', 'suid', 'relatime'] });
    });
    expect(r.stderr).toBe('');
    expect(optionsOf(r.stdout, '/locked').sort()).toEqual(['noatime', 'nodev', 'noexec', 'nosuid', 'ro']);
    expect(optionsOf(r.stdout, '/cleared').sort()).toEqual(['nodev', 'relatime', 'ro']);
  });

  it('passes iversion, noiversion, silent and loud as flags, not as filesystem data', () => {
    const r = runIn('true', (s) => s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['iversion', 'silent', 'noiversion', 'loud'] }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});

describe('a tmpfs over a directory of the image', () => {
  it("takes the directory's mode unless the options give one; a new directory gets tmpfs's own", () => {
    const r = runIn(
      'stat -c "%n %a" /private /given /new',
      (s) => {
        s.mounts!.push({ destination: '/private', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
        s.mounts!.push({ destination: '/given', type: 'tmpfs', source: 'tmpfs', options: ['mode=750'] });
        s.mounts!.push({ destination: '/new', type: 'tmpfs', source: 'tmpfs' });
      },
      (rootfs) => {
        for (const dir of ['private', 'given']) {
          mkdirSync(join(rootfs, dir));
          chmodSync(join(rootfs, dir), 0o700);
        }
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/private 700\n/given 750\n/new 1777\n');
  });
});

describe('mounts in /proc', () => {
  it('refuses a destination inside /proc other than the files lxcfs provides, naming the field', () => {
    const src = hostDir();
    writeFileSync(join(src, 'f'), 'hello\n');
    const r = runIn('cat /proc/sys/kernel/hostname', (s) => s.mounts!.push({ destination: '/proc/sys/kernel/hostname', type: 'bind', source: join(src, 'f'), options: ['bind'] }));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config\.json: \/mounts\/\d+\/destination: "\/proc\/sys\/kernel\/hostname" is inside \/proc, where keel mounts only over \/proc\/cpuinfo,/);
    const allowed = runIn('cat /proc/uptime', (s) => s.mounts!.push({ destination: '/proc/uptime', type: 'bind', source: join(src, 'f'), options: ['bind'] }));
    expect(allowed.stdout).toBe('hello\n');
  });

  it('refuses a destination that a symlink of the image leads into /proc', () => {
    const r = runIn(
      'true',
      (s) => s.mounts!.push({ destination: '/kernel/hostname', type: 'tmpfs', source: 'tmpfs' }),
      (rootfs) => symlinkSync('/proc/sys/kernel', join(rootfs, 'kernel')),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: mount tmpfs "tmpfs" on "\/kernel\/hostname".*leads inside \/proc through a symlink/);
  });

  it('refuses to mount proc where the image has a symlink instead of the /proc directory', () => {
    const r = runIn('ls /tmp', () => {}, (rootfs) => {
      rmSync(join(rootfs, 'proc'), { recursive: true });
      symlinkSync('/tmp', join(rootfs, 'proc'));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: mount proc "proc" on "\/proc".*must be a directory reached without symlinks/);
  });
});
