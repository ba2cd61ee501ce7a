/** Driving keel as a separate process for fault and concurrency tests: spawn, stop points, results. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { eventually } from '../helpers/host.js';
import { CLEAN_ENV, KEEL } from '../helpers/keel.js';

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

export interface KeelChild {
  child: ChildProcess;
  done: Promise<Finished>;
}

/** Starts keel with its stdout/stderr in files (a container inherits them; pipes would stay open). */
export function startKeel(root: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; scratch: string }): KeelChild {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const outPath = join(opts.scratch, `.out-${tag}`);
  const errPath = join(opts.scratch, `.err-${tag}`);
  const fds = [openSync(outPath, 'w'), openSync(errPath, 'w')];
  const child = spawn(KEEL, ['--root', root, ...args], { env: { ...CLEAN_ENV, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', fds[0], fds[1]] });
  fds.forEach((fd) => closeSync(fd));
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const read = (p: string) => readFileSync(p, 'utf8');
      const result = { code, signal, stdout: read(outPath), stderr: read(errPath) };
      rmSync(outPath, { force: true });
      rmSync(errPath, { force: true });
      resolve(result);
    });
  });
  return { child, done };
}

export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2];
  } catch {
    return undefined;
  }
}

/** Waits until the child has stopped itself (SIGSTOP at its stop point); false if it exited instead. */
export async function untilStopped(k: KeelChild, ms = 15_000): Promise<boolean> {
  let exited = false;
  void k.done.then(() => (exited = true));
  await eventually(() => exited || processState(k.child.pid!) === 'T', ms);
  return !exited && processState(k.child.pid!) === 'T';
}
