/**
 * No keel call waits without a bound on something the container can hold open. Each wait on
 * keel-init's sync socket is held here on purpose (keel-init, or the container process, stopped
 * while it holds the socket, by a signal or by strace at a given syscall), and keel must fail within its bound
 * (KEEL_TEST_REPLY_BOUND_MS shortens the minute keel gives a slow host) with one line naming what it
 * waited for, leaving nothing behind. The exec fifo's side: `keel start` opens it non-blocking,
 * so a container whose init is gone or stopped cannot hang it either.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { eventually } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import { processState, startKeel, untilStopped } from '../reliability/keel-process.js';

const bed = useTestbed();
const BOUND_MS = 1500;
/** The bound, keel's own start and its clean-up after giving up, on a loaded 2-core VM. */
const WITHIN_MS = BOUND_MS + 8000;

/** keel-init: the child keel cloned (its parent is keel, its command line starts "keel-init"). */
function keelInitOf(keelPid: number): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === keelPid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('keel-init')) return Number(entry);
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

/**
 * Traces `pid` and what it forks from now on with strace's fault injection on `syscall`: `stop`
 * sends whichever process enters it a SIGSTOP (delivered as the call returns), `delay` holds it
 * at the call's entry for `delay` s. Either way that process holds keel's socket open at a known
 * step without answering. strace ends with its tracees.
 */
async function traced(pid: number, syscall: string, how: { stop: true } | { delaySeconds: number }): Promise<ReturnType<typeof spawn>> {
  const inject = 'stop' in how ? 'signal=SIGSTOP' : `delay_enter=${how.delaySeconds * 1_000_000}`;
  const strace = spawn('strace', ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:${inject}`, '-p', String(pid)], { stdio: 'ignore' });
  const attached = await eventually(() => /TracerPid:\s+[1-9]/.test(readFileSync(`/proc/${pid}/status`, 'utf8')), 10_000);
  if (!attached) throw new Error(`strace did not attach to ${pid}`);
  return strace;
}

/** strace exits by itself once its tracees are gone; if not, it is killed. */
function stopTracing(strace: ReturnType<typeof spawn> | undefined): void {
  if (strace && strace.exitCode === null && strace.signalCode === null) strace.kill('SIGKILL');
}

const cgroupDirsOf = (id: string) => readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, 'keel', id)).filter((d) => existsSync(d));
const alive = (pid: number) => processState(pid) !== undefined && processState(pid) !== 'Z';

/**
 * Starts keel with `args`, lets it stop at `step`, runs `hold` (which makes keel-init or the
 * container hold the socket without answering), then lets keel go on. Resolves with keel's
 * result and how long it took from there.
 */
async function heldAt(step: string, args: string[], hold: (keelPid: number) => Promise<number[]>) {
  const k = startKeel(bed.keel.root, args, { env: { KEEL_TEST_STOP_AT: step, KEEL_TEST_REPLY_BOUND_MS: String(BOUND_MS) }, scratch: bed.keel.root });
  if (!(await untilStopped(k))) throw new Error(`keel never reached step "${step}": ${(await k.done).stderr}`);
  const held = await hold(k.child.pid!);
  const resumed = Date.now();
  k.child.kill('SIGCONT');
  const result = await k.done;
  return { ...result, ms: Date.now() - resumed, held };
}

describe('keel waits for keel-init within a bound', () => {
  it('create: a container process that holds the sync socket and never answers (stopped by strace at its pivot_root) fails create within the bound, naming the wait, and leaves nothing behind', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `held-init-${process.pid}`;
    let strace: ReturnType<typeof spawn> | undefined;
    try {
      // keel-init waits at the cgroup sync point; the container process it forks next is traced too.
      const r = await heldAt('sync-cgroup', ['create', '--bundle', b.dir, id], async (keelPid) => {
        const init = keelInitOf(keelPid)!;
        strace = await traced(init, 'pivot_root', { stop: true });
        return [init];
      });
      expect(r.stderr).toMatch(
        new RegExp(`^keel: keel-init sent nothing for ${BOUND_MS / 1000} s while keel waited for the container process \\(pid \\d+\\) to finish its setup: it holds its socket open but is stuck or stopped; keel has given up on it\\n$`),
      );
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(WITHIN_MS);
      expect(r.ms).toBeGreaterThanOrEqual(BOUND_MS);
      const containerPid = Number(r.stderr.match(/pid (\d+)/)![1]);
      expect(alive(containerPid)).toBe(false);
      expect(bed.keel.containers()).toEqual([]);
      expect(cgroupDirsOf(id)).toEqual([]);
    } finally {
      stopTracing(strace);
    }
  });

  it('run: a keel-init stopped at the cgroup sync point fails run within the bound', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['true']));
    const id = `held-sync-${process.pid}`;
    const r = await heldAt('sync-cgroup', ['run', '--bundle', b.dir, id], async (keelPid) => {
      const init = keelInitOf(keelPid)!;
      process.kill(init, 'SIGSTOP');
      return [init];
    });
    expect(r.stderr).toBe(`keel: keel-init sent nothing for ${BOUND_MS / 1000} s while keel waited for keel-init to go on past the cgroup sync point: it holds its socket open but is stuck or stopped; keel has given up on it\n`);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(WITHIN_MS);
    expect(alive(r.held[0]!)).toBe(false);
    expect(bed.keel.containers()).toEqual([]);
    expect(cgroupDirsOf(id)).toEqual([]);
  });

  it('exec: a keel-init stopped at the cgroup sync point fails exec within the bound; the container runs on', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `held-exec-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    try {
      const r = await heldAt('exec-sync-cgroup', ['exec', id, 'touch', '/tmp/ran'], async (keelPid) => {
        const init = keelInitOf(keelPid)!;
        process.kill(init, 'SIGSTOP');
        return [init];
      });
      expect(r.stderr).toBe(`keel: keel-init sent nothing for ${BOUND_MS / 1000} s while keel waited for keel-init to go on past the cgroup sync point: it holds its socket open but is stuck or stopped; keel has given up on it\n`);
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(WITHIN_MS);
      expect(alive(r.held[0]!)).toBe(false);
      expect(existsSync(join(b.rootfs, 'tmp/ran'))).toBe(false);
      expect(JSON.parse(bed.keel.ok(['state', id])).status).toBe('running');
    } finally {
      bed.keel.ok(['delete', '--force', id]);
    }
  });

  it('exec: a process whose execve does not come (held by strace at execve) fails exec within the bound, naming the exec', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `held-execve-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    let strace: ReturnType<typeof spawn> | undefined;
    try {
      const r = await heldAt('exec-sync-cgroup', ['exec', id, 'touch', '/tmp/ran'], async (keelPid) => {
        const init = keelInitOf(keelPid)!;
        // keel-init and the process it forks into the container: its execve is held 5 s. (A
        // SIGSTOP would come only after the exec.) keel kills it after the bound, but a traced
        // process is reaped only once strace lets go of it, at the end of the delay.
        strace = await traced(init, 'execve', { delaySeconds: 5 });
        return [init];
      });
      expect(r.stderr).toMatch(
        new RegExp(`^keel: keel-init sent nothing for ${BOUND_MS / 1000} s while keel waited for the process to exec its program \\(its end of the sync socket closes at execve\\): it holds its socket open but is stuck or stopped; keel has given up on it\\n$`),
      );
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(WITHIN_MS);
      expect(existsSync(join(b.rootfs, 'tmp/ran'))).toBe(false);
    } finally {
      stopTracing(strace);
      bed.keel.ok(['delete', '--force', id]);
    }
  });
});

describe('keel reaps the processes it started within a bound', () => {
  it('exec: a first keel-init that stops after reporting the process (strace, at its send) fails exec within the bound', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `held-reap-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    let strace: ReturnType<typeof spawn> | undefined;
    try {
      const r = await heldAt('exec-sync-cgroup', ['exec', id, 'touch', '/tmp/ran'], async (keelPid) => {
        const init = keelInitOf(keelPid)!;
        // Each traced process stops after its first send: keel-init after reporting the pid of
        // the process it forked (which it would then exit), that process after MSG_EXECUTING.
        strace = await traced(init, 'sendto', { stop: true });
        return [init];
      });
      expect(r.stderr).toBe(`keel: keel-init (pid ${r.held[0]}) did not exit within ${BOUND_MS / 1000} s of starting the container process: it is stuck or stopped; keel has given up on it\n`);
      expect(r.code).toBe(1);
      expect(r.ms).toBeLessThan(WITHIN_MS);
      expect(alive(r.held[0]!)).toBe(false);
      expect(existsSync(join(b.rootfs, 'tmp/ran'))).toBe(false);
    } finally {
      stopTracing(strace);
      bed.keel.ok(['delete', '--force', id]);
    }
  });
});

describe('keel start and the exec fifo', () => {
  it('start of a container whose waiting init is stopped returns at once (the fifo write does not wait for a reader)', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', 'echo started > /tmp/started; sleep 1000']));
    const id = `fifo-stopped-${process.pid}`;
    bed.keel.ok(['create', '--bundle', b.dir, id]);
    const { pid } = JSON.parse(bed.keel.ok(['state', id])) as { pid: number };
    try {
      process.kill(pid, 'SIGSTOP');
      const started = Date.now();
      const r = bed.keel.run(['start', id], { timeout: 10_000 });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      expect(Date.now() - started).toBeLessThan(8000);
      process.kill(pid, 'SIGCONT');
      expect(await eventually(() => existsSync(join(b.rootfs, 'tmp/started')))).toBe(true);
    } finally {
      bed.keel.ok(['delete', '--force', id]);
    }
  });
});
