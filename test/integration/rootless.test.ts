/**
 * keel as a plain user (issue #17): `keel spec --rootless` and `keel run` with no other set-up,
 * state under $XDG_RUNTIME_DIR/keel, id maps written by keel (one id) or newuidmap/newgidmap
 * (more), and on this hybrid host without delegation, cgroups refused naming the first limit,
 * as runc 1.1.5 refuses them run the same way by the same user.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { readFileSync } from 'node:fs';

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
import { KEEL, requireRootAndBuild } from '../helpers/keel.js';
import { RUNC } from '../helpers/runc.js';
import { makeTestUser, type TestUser } from '../helpers/test-user.js';

let alice: TestUser;
let bob: TestUser;

beforeAll(() => {
  requireRootAndBuild();
  alice = makeTestUser('a', { subids: true });
  bob = makeTestUser('b');
});
afterAll(() => {
  alice?.remove();
  bob?.remove();
});

/** A created and started container of `user`, its init a long sleep. */
function startSleeper(user: TestUser, id: string, edit?: (spec: Spec) => void): string {
  const dir = user.bundle(`b-${id}`, (s) => {
    s.process!.args = ['sleep', '1000'];
    edit?.(s);
  });
  for (const args of [['create', '--bundle', dir, id], ['start', id]]) {
    const r = user.keel(args);
    if (r.code !== 0) throw new Error(`keel ${args.join(' ')} as ${user.name}: ${r.stderr}`);
  }
  return dir;
}

function stateOf(user: TestUser, id: string, root?: string): { status: string; pid: number } {
  const r = user.keel([...(root ? ['--root', root] : []), 'state', id]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('the state root', () => {
  it('is $XDG_RUNTIME_DIR/keel for a plain user, the user\'s own (0700), and the container runs as that user', () => {
    const dir = alice.bundle('state-root', (s) => (s.process!.args = ['sh', '-c', 'cat /proc/self/uid_map; id -u']));
    const r = alice.keel(['run', '--bundle', dir, 'sr1']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]!.trim().split(/\s+/)).toEqual(['0', String(alice.uid), '1']);
    const root = join(alice.runtimeDir, 'keel');
    const st = statSync(root);
    expect([st.uid, st.mode & 0o777]).toEqual([alice.uid, 0o700]);
    expect(existsSync('/run/keel/sr1')).toBe(false);
  });

  it('without XDG_RUNTIME_DIR is refused, never /run/keel', () => {
    const r = alice.keel(['list'], { env: { PATH: '/usr/bin:/bin', HOME: alice.home, USER: alice.name } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(`keel runs as uid ${alice.uid} without XDG_RUNTIME_DIR: set XDG_RUNTIME_DIR to a directory of yours (usually /run/user/${alice.uid}), or give --root`);
  });

  it('--rootless false as a plain user fails at the cgroup, saying why', () => {
    const r = alice.keel(['--rootless', 'false', 'run', '--bundle', alice.bundle('not-rootless'), 'nr1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: cgroup: cannot create \/sys\/fs\/cgroup\/\S+\/keel\/nr1: permission denied: keel's uid \d+ may not make cgroups here \(run as root, or rootless: --rootless auto\)$/m);
    expect(readdirSync(join(alice.runtimeDir, 'keel')).filter((n) => n.startsWith('nr1'))).toEqual([]);
  });

  it('--rootless takes true, false or auto only', () => {
    const r = alice.keel(['--rootless', 'maybe', 'list']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/rootless/);
  });
});

describe('keel spec --rootless', () => {
  it("runs as the user with no other set-up: its ids mapped to 0, setgroups denied, the host's network namespace, sysfs bound, devpts without gid=5", () => {
    const dir = alice.bundle('spec', (s) => {
      s.process!.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; readlink /proc/self/ns/net; cat /proc/self/mountinfo'];
    });
    const r = alice.keel(['run', '--bundle', dir, 'sp1']);
    expect(r.stderr).toBe('');
    const [uidMap, gidMap, setgroups, net, ...mountinfo] = r.stdout.split('\n');
    expect(uidMap!.trim().split(/\s+/)).toEqual(['0', String(alice.uid), '1']);
    expect(gidMap!.trim().split(/\s+/)).toEqual(['0', String(alice.gid), '1']);
    expect(setgroups).toBe('deny');
    expect(net).toBe(alice.run('/usr/bin/readlink', ['/proc/self/ns/net']).stdout.trim());
    const mount = (point: string) => mountinfo.find((l) => l.split(' ')[4] === point)!;
    expect(mount('/sys').split(' - ')[1]!.split(' ')[0]).toBe('sysfs');
    expect(mount('/sys').split(' ')[3]).toBe('/'); // the host's sysfs, bound
    expect(mount('/dev/pts')).not.toMatch(/gid=5/);
  });

  it('keeps nosuid and nodev on a bind mount of the user\'s directory', () => {
    const dir = alice.bundle('binds', (s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: alice.home, options: ['rbind', 'nosuid', 'nodev', 'rw'] });
      s.process!.args = ['sh', '-c', 'grep " /data " /proc/self/mountinfo'];
    });
    const r = alice.keel(['run', '--bundle', dir, 'bd1']);
    expect(r.stderr).toBe('');
    const options = r.stdout.split(' ')[5]!.split(',');
    expect(options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'rw']));
  });
});

describe('id mappings', () => {
  it('the user\'s own id and its /etc/subuid and /etc/subgid ranges go through newuidmap and newgidmap', () => {
    const sub = alice.subidStart!;
    const dir = alice.bundle('subids', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: alice.uid, size: 1 }, { containerID: 1, hostID: sub, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: alice.gid, size: 1 }, { containerID: 1, hostID: sub, size: 65536 }];
      s.root!.readonly = false;
      for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set]!.push('CAP_CHOWN');
      s.process!.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/x && chown 1000:1000 /tmp/x && stat -c %u:%g /tmp/x'];
    });
    const r = alice.keel(['run', '--bundle', dir, 'sub1']);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines.slice(0, 4)).toEqual([`0 ${alice.uid} 1`, `1 ${sub} 65536`, `0 ${alice.gid} 1`, `1 ${sub} 65536`]);
    expect(lines).toContain('1000:1000');
    // On the host the file belongs to the subordinate ids.
    const st = statSync(join(dir, 'rootfs/tmp/x'));
    expect([st.uid, st.gid]).toEqual([sub + 999, sub + 999]);
  });

  it('a mapping the user may not make is refused naming its field, before anything is created', () => {
    const dir = alice.bundle('notmine', (s) => {
      s.linux!.uidMappings = [{ containerID: 0, hostID: alice.uid, size: 1 }, { containerID: 1, hostID: 0, size: 1 }];
    });
    const r = alice.keel(['run', '--bundle', dir, 'nm1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/linux\/uidMappings\/1: host uids 0-0 are not this user's to map: keel runs rootless as uid \d+/);
    expect(readdirSync(join(alice.runtimeDir, 'keel')).filter((n) => n.startsWith('nm1'))).toEqual([]);
  });
});

describe('cgroups without delegation (this hybrid host)', () => {
  it('a limit fails naming its field, as runc fails the same config run by the same user', () => {
    const dir = alice.bundle('limits', (s) => (s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 10 } }));
    const keel = alice.keel(['run', '--bundle', dir, 'lim1']);
    expect(keel.code).toBe(1);
    expect(keel.stderr).toMatch(/\/linux\/resources\/memory\/limit: cannot set the memory limit: keel runs rootless, and uid \d+ cannot create the container's cgroup \/sys\/fs\/cgroup\/memory\/keel\/lim1 \(cgroups are not delegated to it here\)/);
    expect(readdirSync(join(alice.runtimeDir, 'keel')).filter((n) => n.startsWith('lim1'))).toEqual([]);
    const validate = alice.keel(['validate', '--bundle', dir]);
    expect(validate.code).toBe(1);
    expect(validate.stdout + validate.stderr).toMatch(/^error: \/linux\/resources\/memory\/limit: cannot set the memory limit: keel runs rootless/m);
    expect(validate.stdout + validate.stderr).toMatch(/^error: \/linux\/resources\/pids\/limit: cannot set the pids limit/m);
    const runc = alice.run(RUNC, ['--root', join(alice.runtimeDir, 'runc'), 'run', '--bundle', dir, 'lim1']);
    expect(runc.code).not.toBe(0);
    expect(runc.stderr).toMatch(/cannot set memory limit: container could not join or create cgroup/);
  });
});

describe('the verbs that need a cgroup, on a container without one', () => {
  it('pause, resume, update, events --stats say why they cannot; kill --all reaches every process through the PID namespace', () => {
    startSleeper(alice, 'cg1');
    const why = 'it runs rootless without a cgroup (keel could not create one: cgroups are not delegated to this user on this host)';
    for (const [args, what] of [
      [['pause', 'cg1'], 'pause'],
      [['update', '--memory', '100m', 'cg1'], 'update the limits of'],
      [['events', '--stats', 'cg1'], 'read the stats of'],
    ] as const) {
      const r = alice.keel([...args]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`keel: cannot ${what} container "cg1": ${why}`);
    }
    expect(stateOf(alice, 'cg1').status).toBe('running');
    expect(alice.keel(['exec', '-d', 'cg1', 'sleep', '1000']).code).toBe(0);
    const ps = JSON.parse(alice.keel(['ps', '--format', 'json', 'cg1']).stdout) as number[];
    expect(ps).toHaveLength(2);
    expect(alice.keel(['kill', '--all', 'cg1', 'KILL']).code).toBe(0);
    const alive = () => ps.filter((pid) => existsSync(`/proc/${pid}`) && !readFileSyncSafe(`/proc/${pid}/stat`).includes(') Z '));
    for (let i = 0; i < 100 && alive().length; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(alive()).toEqual([]);
    expect(alice.keel(['delete', 'cg1']).code).toBe(0);
  });
  // Without a PID namespace of its own, kill --all says why it cannot (unit-tested in
  // rootless-driver.test.ts): such a container cannot mount proc as a plain user, and runs here only without /proc.
});

describe('the lifecycle as the user', () => {
  it('create, start, state, list, exec, ps, kill, delete; everything of it in the state directory is the user\'s', () => {
    const dir = startSleeper(alice, 'lc1');
    const state = stateOf(alice, 'lc1');
    expect(state.status).toBe('running');
    expect(statSync(`/proc/${state.pid}`).uid).toBe(alice.uid);
    const list = alice.keel(['list', '--format', 'json']);
    expect(JSON.parse(list.stdout).map((c: { id: string; bundle: string }) => [c.id, c.bundle])).toContainEqual(['lc1', dir]);
    const exec = alice.keel(['exec', 'lc1', 'sh', '-c', 'id -u; cat /proc/self/uid_map']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout.split('\n')[0]).toBe('0');
    expect(JSON.parse(alice.keel(['ps', '--format', 'json', 'lc1']).stdout)).toEqual([state.pid]);
    const stateDir = join(alice.runtimeDir, 'keel', 'lc1');
    for (const name of ['', ...readdirSync(stateDir)]) expect([name, lstatSync(join(stateDir, name)).uid]).toEqual([name, alice.uid]);
    expect(alice.keel(['kill', 'lc1', 'KILL']).code).toBe(0);
    for (let i = 0; i < 50 && stateOf(alice, 'lc1').status !== 'stopped'; i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    expect(stateOf(alice, 'lc1').status).toBe('stopped');
    expect(alice.keel(['delete', 'lc1']).code).toBe(0);
    expect(existsSync(stateDir)).toBe(false);
  });

  it("a second user cannot see, signal or delete the first user's containers", () => {
    startSleeper(alice, 'own1');
    const aliceRoot = join(alice.runtimeDir, 'keel');
    expect(bob.keel(['list', '-q']).stdout).toBe('');
    for (const args of [['list'], ['state', 'own1'], ['kill', 'own1', 'KILL'], ['delete', '--force', 'own1'], ['exec', 'own1', 'true']]) {
      const r = bob.keel(['--root', aliceRoot, ...args]);
      expect([args[0], r.code]).toEqual([args[0], 1]);
      expect(r.stderr).toMatch(/permission denied|does not exist/);
    }
    expect(stateOf(alice, 'own1').status).toBe('running');
    expect(alice.keel(['delete', '--force', 'own1']).code).toBe(0);
  });
});

describe('keel as root of a user namespace (rootless podman runs it so)', () => {
  it('is rootless by auto: binds the config\'s devices (no mknod there) and, without a cgroup namespace, the cgroups its init stays in', () => {
    const dir = alice.bundle('in-userns', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'user' && ns.type !== 'cgroup');
      delete s.linux!.uidMappings;
      delete s.linux!.gidMappings;
      s.linux!.devices = [{ path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 }];
      s.process!.args = ['sh', '-c', 'stat -c "%t:%T %F" /dev/null; ls /sys/fs/cgroup/pids/cgroup.procs'];
    });
    const r = alice.run('/usr/bin/unshare', ['--map-root-user', KEEL, 'run', '--bundle', dir, 'un1']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('1:3 character special file\n/sys/fs/cgroup/pids/cgroup.procs\n');
    expect(r.code).toBe(0);
  });
});
