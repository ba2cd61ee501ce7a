/** create / start / state / kill / delete as separate invocations, the way engines drive a runtime. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually, mountsMentioning, processesMentioning } from '../helpers/host.js';
import { KEEL as KEEL_BIN, KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

let keel: KeelRoot;
let bundle: Bundle;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  bundle = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
  });
});
afterAll(() => {
  keel.cleanup();
  bundle.remove();
});

const state = (id: string) => JSON.parse(keel.ok(['state', id])) as { status: string; pid: number; id: string; bundle: string; rootfs: string };

describe('container lifecycle', () => {
  it('goes created -> running -> stopped, and delete leaves nothing behind', async () => {
    const id = `life-${process.pid}`;
    const pidFile = join(bundle.dir, 'init.pid');
    keel.ok(['create', '--bundle', bundle.dir, '--pid-file', pidFile, id]);

    const created = state(id);
    expect(created).toMatchObject({ id, status: 'created', bundle: bundle.dir, rootfs: join(bundle.dir, 'rootfs') });
    expect(Number(readFileSync(pidFile, 'utf8'))).toBe(created.pid);
    // The waiting init is not the user's program yet.
    expect(readFileSync(`/proc/${created.pid}/cmdline`, 'utf8')).not.toContain('sleep');

    keel.ok(['start', id]);
    expect(await eventually(() => readFileSync(`/proc/${created.pid}/cmdline`, 'utf8').startsWith('sleep'))).toBe(true);
    expect(state(id)).toMatchObject({ status: 'running', pid: created.pid });

    const list = JSON.parse(keel.ok(['list', '--format', 'json'])) as { id: string; status: string }[];
    expect(list).toEqual([expect.objectContaining({ id, status: 'running' })]);
    expect(keel.ok(['list', '-q'])).toBe(`${id}\n`);
    const table = keel.ok(['list']).split('\n');
    expect(table[0]).toMatch(/^ID +PID {9}STATUS {6}BUNDLE +CREATED +OWNER$/);
    expect(table[1]).toMatch(new RegExp(`^${id} +${created.pid} +running +${bundle.dir} +\\S+ +root$`));

    keel.ok(['kill', id, 'KILL']);
    expect(await eventually(() => state(id).status === 'stopped')).toBe(true);
    expect(state(id).pid).toBe(0);
    // runc's words and behaviour, which containerd's shim relies on once a container has exited.
    expect(keel.run(['kill', id, 'TERM'])).toMatchObject({ code: 1, stderr: `keel: cannot kill container "${id}": container not running\n` });
    keel.ok(['kill', '--all', id, 'KILL']);

    keel.ok(['delete', id]);
    expect(keel.containers()).toEqual([]);
    expect(processesMentioning('sleep 1000').filter((p) => p === created.pid)).toEqual([]);
    expect(mountsMentioning(bundle.dir)).toEqual([]);
    expect(keel.run(['state', id])).toMatchObject({ code: 1, stderr: `keel: container "${id}" does not exist\n` });
  });

  it('refuses to start twice and to delete a running container without --force', () => {
    const id = `twice-${process.pid}`;
    keel.ok(['create', '--bundle', bundle.dir, id]);
    keel.ok(['start', id]);
    expect(keel.run(['start', id])).toMatchObject({ code: 1, stderr: `keel: cannot start container "${id}": it is already running\n` });
    const del = keel.run(['delete', id]);
    expect(del.code).toBe(1);
    expect(del.stderr).toBe(`keel: cannot delete container "${id}": it is running; stop it first or use --force\n`);
    keel.ok(['delete', '--force', id]);
    expect(existsSync(join(keel.root, id))).toBe(false);
  });

  it('deletes a created container that never started, killing its waiting init', () => {
    const id = `never-${process.pid}`;
    keel.ok(['create', '--bundle', bundle.dir, id]);
    const { pid } = state(id);
    keel.ok(['delete', id]);
    expect(existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z')).toBe(false);
    expect(keel.containers()).toEqual([]);
  });

  it('delete kills what outlives the init of a container without its own PID namespace, and removes its cgroups', async () => {
    const id = `nopidns-${process.pid}`;
    const b = makeBundle((s) => {
      // The init leaves a child behind: in the host's PID namespace nothing kills it with the init.
      s.process!.args = ['sh', '-c', `sleep 1234${process.pid % 1000} & exit 0`];
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'pid');
    });
    const leftover = `1234${process.pid % 1000}`; // (in /proc/PID/cmdline, NULs separate the arguments)
    try {
      keel.ok(['create', '--bundle', b.dir, id]);
      keel.ok(['start', id]);
      expect(await eventually(() => state(id).status === 'stopped' && processesMentioning(leftover).length === 1)).toBe(true);
      keel.ok(['delete', id]);
      expect(await eventually(() => processesMentioning(leftover).length === 0)).toBe(true);
      expect(existsSync(`/sys/fs/cgroup/pids/keel/${id}`)).toBe(false);
      expect(keel.containers()).toEqual([]);
    } finally {
      keel.run(['delete', '--force', id]);
      b.remove();
    }
  });

  it('kill accepts signal names with and without SIG, and numbers', async () => {
    const id = `sig-${process.pid}`;
    const b = makeBundle((s) => {
      s.process!.args = ['sh', '-c', 'trap "echo got-usr1 > /tmp/usr1" USR1; trap "exit 7" TERM; while :; do sleep 0.05; done'];
    });
    try {
      keel.ok(['create', '--bundle', b.dir, id]);
      keel.ok(['start', id]);
      await new Promise((r) => setTimeout(r, 200));
      keel.ok(['kill', id, 'USR1']);
      expect(await eventually(() => existsSync(join(b.rootfs, 'tmp/usr1')))).toBe(true);
      keel.ok(['kill', id, '15']);
      expect(await eventually(() => state(id).status === 'stopped')).toBe(true);
      expect(keel.run(['kill', id, 'SIGNOPE'])).toMatchObject({ code: 1 });
      keel.ok(['delete', id]);
    } finally {
      b.remove();
    }
  });

  it('passes SIGTERM sent to a foreground `keel run` to the container and exits with its status', async () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sh', '-c', 'trap "exit 3" TERM; echo ready; while :; do sleep 0.05; done'];
    });
    try {
      const child = keel.spawn(['run', '--bundle', b.dir, `fg-${process.pid}`]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      expect(await eventually(() => out.includes('ready'))).toBe(true);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(3);
      expect(keel.containers()).toEqual([]);
    } finally {
      b.remove();
    }
  });

  it('exits 137 when the container is killed with SIGKILL', async () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sh', '-c', 'echo ready; while :; do sleep 0.05; done'];
    });
    try {
      const id = `k9-${process.pid}`;
      const child = keel.spawn(['run', '--bundle', b.dir, id]);
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      expect(await eventually(() => out.includes('ready'))).toBe(true);
      keel.ok(['kill', id, 'KILL']);
      expect(await new Promise<number | null>((r) => child.on('exit', r))).toBe(137);
    } finally {
      b.remove();
    }
  });

  it('--preserve-fds hands the container fds 3 and up, and nothing above them', async () => {
    const b = makeBundle((s) => (s.process!.args = ['sh', '-c', 'cat <&3; ls /proc/self/fd | sort -n | tr "\\n" " "']));
    try {
      const { spawn } = await import('node:child_process');
      const { openSync, writeFileSync } = await import('node:fs');
      const data = join(b.dir, 'fd3.txt');
      writeFileSync(data, 'from fd 3\n');
      const child = spawn(KEEL_BIN, ['--root', keel.root, 'run', '--preserve-fds', '1', '--bundle', b.dir, 'fds'], {
        env: { PATH: process.env.PATH },
        stdio: ['ignore', 'pipe', 'inherit', openSync(data, 'r'), openSync('/dev/null', 'r')],
      });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      expect(await new Promise((r) => child.on('exit', r))).toBe(0);
      // fd 3 is the preserved file; fd 4 (not preserved) is closed; ls's own directory fd comes next.
      expect(out).toMatch(/^from fd 3\n0 1 2 3 4 $/);
    } finally {
      b.remove();
    }
  });
});
