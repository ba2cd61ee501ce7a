/** keel exec: a second process inside a running container, as docker exec and kubectl exec use it. */
import { mkdirSync, readFileSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

let keel: KeelRoot;
let bundle: Bundle;
let initPid: number;
const ID = 'exec-target';

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  bundle = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
    s.hostname = 'exec-host';
    s.process!.env = ['PATH=/bin', 'FROM_CONFIG=yes'];
  });
  keel.ok(['run', '--detach', '--bundle', bundle.dir, ID]);
  initPid = JSON.parse(keel.ok(['state', ID])).pid;
});
afterAll(() => {
  keel.cleanup();
  bundle.remove();
});

describe('keel exec', () => {
  it("joins the container's namespaces: hostname, PID namespace, mounts", () => {
    const out = keel.ok(['exec', ID, 'sh', '-c', 'hostname; echo $$; ps -o pid,comm | grep -c sleep; for t in pid mnt net uts ipc; do readlink /proc/self/ns/$t; done']);
    const [hostname, pid, sleeps, ...ns] = out.trim().split('\n');
    expect(hostname).toBe('exec-host');
    expect(Number(pid)).toBeGreaterThan(1); // PID 1 is the container's init
    expect(sleeps).toBe('1');
    expect(ns).toEqual(['pid', 'mnt', 'net', 'uts', 'ipc'].map((t) => readlinkSync(`/proc/${initPid}/ns/${t}`)));
  });

  it("joins the container's cgroups and keeps its environment, plus -e additions", () => {
    const out = keel.ok(['exec', '-e', 'EXTRA=1', ID, 'sh', '-c', 'echo $FROM_CONFIG $EXTRA; cat /proc/self/cgroup; echo ---; cat /proc/1/cgroup']);
    const [env, ...rest] = out.trim().split('\n');
    expect(env).toBe('yes 1');
    const [mine, init] = rest.join('\n').split('\n---\n');
    expect(mine).toBe(init);
    // Seen from the host, the exec'd shell was in the container's cgroups (it has exited now, so check a live one).
    const pidFile = join(bundle.dir, 'cg.pid');
    keel.ok(['exec', '--detach', '--pid-file', pidFile, ID, 'sleep', '5']);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(readFileSync(`/proc/${initPid}/cgroup`, 'utf8'));
    process.kill(pid, 'SIGKILL');
  });

  it('returns the exit code of the process', () => {
    expect(keel.run(['exec', ID, 'sh', '-c', 'exit 5']).code).toBe(5);
    expect(keel.run(['exec', ID, 'true']).code).toBe(0);
  });

  it('runs as --user with --cwd', () => {
    expect(keel.ok(['exec', '--user', '1000:1001', '--cwd', '/tmp', ID, 'sh', '-c', 'id -u; id -g; pwd'])).toBe('1000\n1001\n/tmp\n');
  });

  it('runs a --process file', () => {
    const file = join(bundle.dir, 'process.json');
    writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'echo from-file $X'], env: ['PATH=/bin', 'X=1'], cwd: '/' }));
    expect(keel.ok(['exec', '--process', file, ID])).toBe('from-file 1\n');
  });

  it('--detach writes the pid file and returns at once', async () => {
    const pidFile = join(bundle.dir, 'exec.pid');
    keel.ok(['exec', '--detach', '--pid-file', pidFile, ID, 'sleep', '30']);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\x0030\x00');
    expect(readlinkSync(`/proc/${pid}/ns/pid`)).toBe(readlinkSync(`/proc/${initPid}/ns/pid`));
    process.kill(pid, 'SIGKILL');
    expect(await eventually(() => !readFileSync(`/proc/${initPid}/task/${initPid}/children`, 'utf8').includes(String(pid)))).toBe(true);
  });

  it('fails clearly for a missing program, a paused and a stopped container', () => {
    expect(keel.run(['exec', ID, 'no-such-program'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^keel: exec: "no-such-program": executable file not found/) });
    keel.ok(['pause', ID]);
    expect(keel.run(['exec', ID, 'true'])).toMatchObject({ code: 1, stderr: `keel: cannot exec in container "${ID}": it is paused (resume it first, or pass --ignore-paused)\n` });
    keel.ok(['resume', ID]);
    const b = makeBundle((s) => (s.process!.args = ['true']));
    try {
      keel.ok(['run', '--keep', '--bundle', b.dir, 'stopped']);
      expect(keel.run(['exec', 'stopped', 'true'])).toMatchObject({ code: 1, stderr: 'keel: cannot exec in container "stopped": it is stopped\n' });
      keel.ok(['delete', 'stopped']);
    } finally {
      b.remove();
    }
  });
});

describe('keel exec --cgroup', () => {
  // This host: v1 controllers (pids:sub names one). A pure v2 host: one hierarchy, a path alone.
  const v2 = detectCgroupLayout().mode === 'v2';
  const dir = (name: string) => (v2 ? `/sys/fs/cgroup/keel/${ID}/${name}` : `/sys/fs/cgroup/pids/keel/${ID}/${name}`);
  const flag = (name: string) => (v2 ? name : `pids:${name}`);

  it('puts the process in an existing sub-cgroup (of the named controllers only); a missing one is refused', () => {
    mkdirSync(dir('sub'));
    try {
      const lines = keel.ok(['exec', '--cgroup', flag('sub'), ID, 'cat', '/proc/self/cgroup']).trim().split('\n');
      expect(lines.find((l) => (v2 ? l.startsWith('0::') : /:pids:/.test(l)))).toMatch(/\/sub$/);
      if (!v2) expect(lines.find((l) => /:memory:/.test(l))).not.toMatch(/\/sub$/);
    } finally {
      rmdirSync(dir('sub'));
    }
    const r = keel.run(['exec', '--cgroup', flag('nope'), ID, 'true']);
    expect(r).toMatchObject({ code: 1, stderr: `keel: cannot exec in container "${ID}": its cgroup ${dir('nope')} does not exist: create the sub-cgroup first (exec --cgroup joins one, it does not make it)\n` });
  });
});
