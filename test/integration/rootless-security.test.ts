/**
 * A rootless container gains nothing its user lacks (issue #17): host files the user cannot write
 * stay unwritable through any bind mount, a set-uid file of the host's root gives no privilege,
 * keel's own files are out of the container's reach, and a state root another user planted (a
 * symlink, or a directory of theirs) is refused rather than followed.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireRootAndBuild } from '../helpers/keel.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';

let alice: TestUser;
let mallory: TestUser;
const hostFile = `/etc/keel-rootless-test-${process.pid}`;
const shared = `/tmp/keel-shared-${process.pid}`;

beforeAll(() => {
  requireRootAndBuild();
  alice = makeTestUser('s', { subids: true });
  mallory = makeTestUser('m');
  writeFileSync(hostFile, 'original\n', { mode: 0o644 });
  mkdirSync(shared, { mode: 0o1777 });
  chmodSync(shared, 0o1777);
});
afterAll(() => {
  alice?.remove();
  mallory?.remove();
  rmSync(hostFile, { force: true });
  rmSync(shared, { recursive: true, force: true });
});

describe('a rootless container', () => {
  it("cannot write a host file its user cannot write, through a bind of the file or of its directory, even as the container's root", () => {
    const dir = alice.bundle('binds', (s) => {
      s.mounts!.push({ destination: '/hostfile', type: 'bind', source: hostFile, options: ['bind', 'rw'] });
      s.mounts!.push({ destination: '/hostetc', type: 'bind', source: '/etc', options: ['rbind', 'rw'] });
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set] = ['CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_CHOWN'];
      const name = hostFile.slice('/etc/'.length);
      s.process!.args = ['sh', '-c', `id -u; echo pwned > /hostfile; echo pwned > /hostetc/${name}; chmod 666 /hostfile; touch /hostetc/keel-new-${process.pid}; echo done`];
    });
    const r = alice.keel(['run', '--bundle', dir, 'w1']);
    expect(r.stdout).toBe('0\ndone\n');
    expect(r.stderr.match(/Permission denied|Operation not permitted/g)?.length).toBe(4);
    expect(readFileSync(hostFile, 'utf8')).toBe('original\n');
    expect(existsSync(`/etc/keel-new-${process.pid}`)).toBe(false);
  });

  it("gets no privilege from a set-uid file of the host's root; one of the container's root works (the check can tell)", () => {
    const dir = alice.bundle('suid', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: alice.uid, size: 1 }, { containerID: 1, hostID: alice.subidStart!, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: alice.gid, size: 1 }, { containerID: 1, hostID: alice.subidStart!, size: 65536 }];
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.noNewPrivileges = false;
      s.process!.args = ['sh', '-c', '/bin/suid-container-root; /bin/suid-host-root'];
    });
    const src = join(dir, 'showid.c');
    writeFileSync(src, '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("%d %d\\n", (int)getuid(), (int)geteuid()); return 0; }\n');
    const bin = join(dir, 'showid');
    execFileSync('gcc', ['-static', '-O1', '-o', bin, src]);
    for (const [name, uid, gid] of [['suid-container-root', alice.uid, alice.gid], ['suid-host-root', 0, 0]] as const) {
      const to = join(dir, 'rootfs/bin', name);
      copyFileSync(bin, to);
      chownSync(to, uid, gid);
      chmodSync(to, 0o4755);
    }
    const r = alice.keel(['run', '--bundle', dir, 'su1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1000 0\n1000 1000\n');
  });

  it("cannot reach keel's files: no fd, mount or cwd of the container leads into $XDG_RUNTIME_DIR/keel", () => {
    const dir = alice.bundle('reach', (s) => {
      s.process!.args = ['sh', '-c', 'for f in /proc/1/fd/* /proc/self/fd/* /proc/1/cwd /proc/1/root; do readlink $f; done; cat /proc/self/mountinfo'];
    });
    const r = alice.keel(['run', '--bundle', dir, 'rc1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\/proc\/self\/mountinfo|mqueue/); // it did look
    expect(r.stdout).not.toContain(join(alice.runtimeDir, 'keel'));
    // From the host: the state directory is the user's alone.
    expect((readdirSync(join(alice.runtimeDir, 'keel')))).toEqual([]);
    expect(execFileSync('stat', ['-c', '%a %u', alice.runtimeDir + '/keel'], { encoding: 'utf8' }).trim()).toBe(`700 ${alice.uid}`);
  });
});

describe('a state root another user planted', () => {
  it('a symlink to a directory of theirs is not followed: keel refuses it and writes nothing there', () => {
    const trap = join(mallory.home, 'trap');
    mallory.run('/bin/mkdir', ['-m', '777', trap]);
    const xdg = join(shared, 'x1');
    mallory.run('/bin/mkdir', ['-m', '777', xdg]);
    mallory.run('/bin/ln', ['-s', trap, join(xdg, 'keel')]);
    const dir = alice.bundle('planted');
    const env = { PATH: '/usr/bin:/bin', HOME: alice.home, USER: alice.name, XDG_RUNTIME_DIR: xdg };
    for (const args of [['run', '--bundle', dir, 'p1'], ['list'], ['state', 'p1']]) {
      const r = alice.keel(args, { env });
      expect([args[0], r.code]).toEqual([args[0], 1]);
      expect(r.stderr).toMatch(`state root "${xdg}/keel" is a symlink: keel does not follow one there`);
    }
    expect(readdirSync(trap)).toEqual([]);
  });

  it('a directory of theirs, or one others may write, is refused', () => {
    const xdg = join(shared, 'x2');
    mallory.run('/bin/mkdir', ['-m', '777', xdg]);
    mallory.run('/bin/mkdir', ['-m', '777', join(xdg, 'keel')]);
    const env = { PATH: '/usr/bin:/bin', HOME: alice.home, USER: alice.name, XDG_RUNTIME_DIR: xdg };
    const r = alice.keel(['run', '--bundle', alice.bundle('planted2'), 'p2'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(`state root "${xdg}/keel" belongs to uid ${mallory.uid}, not to keel's uid ${alice.uid}`);
    expect(readdirSync(join(xdg, 'keel'))).toEqual([]);
    const own = join(shared, 'x3');
    alice.run('/bin/mkdir', ['-m', '777', own]);
    alice.run('/bin/mkdir', ['-m', '777', join(own, 'keel')]);
    const r2 = alice.keel(['list'], { env: { ...env, XDG_RUNTIME_DIR: own } });
    expect(r2.stderr).toMatch(`state root "${own}/keel" is writable by its group (mode 777)`);
  });
});
