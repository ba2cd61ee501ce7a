/**
 * SCMP_ACT_NOTIFY: a seccomp agent (test/helpers/seccomp-agent.py) receives the notify fd and the
 * container process state at linux.seccomp.listenerPath, and answers the container's mkdir calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { LinuxSeccomp } from '../../src/spec/types.js';
import { useTestbed } from '../helpers/testbed.js';

const AGENT = join(new URL('..', import.meta.url).pathname, 'helpers/seccomp-agent.py');
const bed = useTestbed();
const dir = mkdtempSync(join(tmpdir(), 'keel-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startAgent(name: string): Promise<{ socket: string; stateFile: string; agent: ChildProcess; done: Promise<string> }> {
  const socket = join(dir, `${name}.sock`);
  const stateFile = join(dir, `${name}.json`);
  const agent = spawn('python3', [AGENT, socket, stateFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  const done = new Promise<string>((resolve) => agent.on('exit', () => resolve(out)));
  await new Promise<void>((resolve, reject) => {
    agent.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('listening')) resolve();
    });
    agent.on('exit', () => reject(new Error(`the agent exited early: ${out}`)));
  });
  return { socket, stateFile, agent, done };
}

const profile = (listenerPath: string): LinuxSeccomp => ({
  defaultAction: 'SCMP_ACT_ALLOW',
  listenerPath,
  listenerMetadata: 'keel-test-metadata',
  syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_NOTIFY' }],
});

describe('SCMP_ACT_NOTIFY with a seccomp agent', () => {
  it("the container sees the agent's answers; the agent got the state and one fd", async () => {
    const { socket, stateFile, done } = await startAgent('run');
    const id = `notify-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'mkdir /tmp/refused; echo "refused: $?"; mkdir /tmp/made; echo "made: $?"; ls -d /tmp/refused /tmp/made 2>&1'];
      s.linux!.seccomp = profile(socket);
      s.annotations = { 'org.keel.test': 'yes' };
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, id]);
    expect(r.stderr).toContain("mkdir: can't create directory '/tmp/refused': Invalid cross-device link");
    expect(r.stdout).toBe('refused: 1\nmade: 0\nls: /tmp/refused: No such file or directory\n/tmp/made\n');
    expect(await done).toMatch(/answered 2/);

    const got = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(got.fds).toBe(1);
    expect(got.state).toEqual({
      ociVersion: b.spec.ociVersion,
      fds: ['seccompFd'],
      pid: expect.any(Number),
      metadata: 'keel-test-metadata',
      state: { ociVersion: b.spec.ociVersion, id, status: 'creating', pid: got.state.pid, bundle: b.dir, annotations: { 'org.keel.test': 'yes' } },
    });
  });

  it('also for a process started with keel exec, with the exec pid and status running', async () => {
    const first = await startAgent('init');
    const id = `notify-exec-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '100'];
      s.linux!.seccomp = profile(first.socket);
    });
    bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
    try {
      const initPid = JSON.parse(bed.keel.ok(['state', id])).pid;
      // exec reads listenerPath from the config the container was created with: a new agent there.
      first.agent.kill();
      await first.done;
      rmSync(first.socket, { force: true });
      const second = await startAgent('init');
      const r = bed.keel.run(['exec', id, 'sh', '-c', 'mkdir /tmp/refused || echo refused']);
      expect(r.stdout).toBe('refused\n');
      expect(r.stderr).toContain('Invalid cross-device link');
      const got = JSON.parse(readFileSync(second.stateFile, 'utf8')).state;
      expect(got.state).toMatchObject({ id, status: 'running', pid: initPid });
      expect(got.pid).not.toBe(initPid);
      second.agent.kill();
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });

  it('without no_new_privs too, where the filter is installed before capabilities are dropped', async () => {
    const { socket, done } = await startAgent('nnp');
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'mkdir /tmp/refused 2>/dev/null || echo refused; grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status'];
      s.process!.noNewPrivileges = false;
      s.linux!.seccomp = profile(socket);
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, `notify-nnp-${process.pid}`]);
    expect(r.stdout.replace(/\t/g, ' ')).toBe('refused\nNoNewPrivs: 0\nSeccomp: 2\n');
    expect(await done).toMatch(/answered 1/);
  });

  it('a listenerPath where no agent listens fails create, naming the field, and leaves nothing behind', () => {
    const b = bed.bundle((s) => {
      s.process!.args = ['true'];
      s.linux!.seccomp = profile(join(dir, 'nobody.sock'));
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, `notify-none-${process.pid}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`/linux/seccomp/listenerPath: cannot reach the seccomp agent at ${join(dir, 'nobody.sock')}`);
    expect(bed.keel.containers()).toEqual([]);
  });
});
