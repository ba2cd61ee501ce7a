/**
 * OCI hooks that keel itself runs, in its own (the runtime's) namespaces: prestart and
 * createRuntime at create, poststart after start, poststop at delete. Each gets the container's
 * state as JSON on stdin. createContainer and startContainer hooks must run inside the container,
 * so keel-init runs those (OP_RUN_HOOK, native/init/hooks.c, which follows the same rules).
 *
 * Like runc, keel captures a hook's stdout and stderr (they do not reach keel's own, which an
 * engine may have handed on to the container) and quotes them when the hook fails. No wait is
 * unbounded by anything but the hook's own run: the state is written without blocking (a hook
 * need not read it), and once the hook has exited keel reads what it wrote but does not wait for
 * a process it left behind holding its stdout or stderr.
 */
import type { ChildProcess, spawn as Spawn } from 'node:child_process';
import { createRequire } from 'node:module';

import type { Hook } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { hookTimeout } from './state.js';

/**
 * node:child_process, and the stream and net modules it pulls in, cost ~3 ms to load: start,
 * delete and create load this module, most containers have no hooks, so it is loaded on first use.
 */
const spawn = ((...args: Parameters<typeof Spawn>) =>
  (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).spawn(...args)) as typeof Spawn;

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

/** How long keel waits, after a hook exits, for its stdout and stderr to close (a background child may hold them). */
export const OUTPUT_GRACE_MS = 200;

/** How much of a failed hook's stdout and stderr its error quotes (the end of each). */
const QUOTED_OUTPUT = 300;

/**
 * A hook's environment: exactly its `env` when it has one; without one, keel's own, as runc's
 * hooks get runc's (Go's exec with a nil environment). Hooks written for runc rely on PATH.
 */
export function hookEnv(hook: Hook, own: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!hook.env) return own;
  return Object.fromEntries(
    hook.env.map((e) => {
      const eq = e.indexOf('=');
      return eq < 0 ? [e, ''] : [e.slice(0, eq), e.slice(eq + 1)];
    }),
  );
}

/** The end of a hook's output, on one line: JSON escapes newlines and control characters. */
export function quoteOutput(name: string, output: string): string {
  const text = output.trimEnd();
  if (!text) return '';
  const tail = text.length > QUOTED_OUTPUT ? `...${text.slice(-QUOTED_OUTPUT)}` : text;
  return `, ${name}: ${JSON.stringify(tail)}`;
}

export interface HookResult {
  /** Why the hook failed, one line; undefined when it succeeded. */
  failure?: string;
  /** Something the user should know although the hook succeeded. */
  warning?: string;
}

/** Keeps the last `limit` bytes of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - this.chunks[0].length >= this.limit) this.size -= this.chunks.shift()!.length;
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export function runHook(kind: HookKind, index: number, hook: Hook, state: string): Promise<HookResult> {
  const where = `${kind} hook ${index} (${hook.path})`;
  const args = hook.args ?? [hook.path];
  const timeout = hookTimeout(hook);
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(hook.path, args.slice(1), { argv0: args[0] ?? hook.path, env: hookEnv(hook, process.env), stdio: ['pipe', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ failure: `${where} could not run: ${(err as Error).message}` });
      return;
    }
    const stdout = new Tail(QUOTED_OUTPUT * 4);
    const stderr = new Tail(QUOTED_OUTPUT * 4);
    child.stdout!.on('data', (c: Buffer) => stdout.push(c));
    child.stderr!.on('data', (c: Buffer) => stderr.push(c));
    // A hook need not read the state: its stdin closing early (EPIPE) is no failure of its own.
    child.stdin!.on('error', () => {});
    child.stdin!.end(state);

    let timedOut = false;
    let finished = false;
    let grace: NodeJS.Timeout | undefined;
    const timer = timeout
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeout * 1000)
      : undefined;
    const output = () => `${quoteOutput('stdout', stdout.toString())}${quoteOutput('stderr', stderr.toString())}`;
    const finish = (result: HookResult) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      clearTimeout(grace);
      // Whatever still holds the pipes (a process the hook left behind) is not waited for.
      for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.destroy();
      const out = `${stdout.toString()}${stderr.toString()}`.trimEnd();
      if (out && !result.failure) log().debug(`${where} wrote: ${JSON.stringify(out)}`);
      resolve(result);
    };
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const verdict = (): HookResult => {
      if (timedOut) return { failure: `${where} did not finish within ${timeout} s${output()}` };
      if (exit!.signal) return { failure: `${where} was killed by ${exit!.signal}${output()}` };
      if (exit!.code !== 0) return { failure: `${where} exited with status ${exit!.code}${output()}` };
      return {};
    };
    child.on('error', (err) => finish({ failure: `${where} could not run: ${err.message}` }));
    child.on('exit', (code, signal) => {
      if (finished) return;
      exit = { code, signal };
      // The hook is gone; its output may still be in the pipes. A timed-out hook gets no more time.
      if (timedOut) return finish(verdict());
      grace = setTimeout(() => {
        const result = verdict();
        finish({
          ...result,
          warning: `${where} exited, but a process it started still holds its stdout or stderr open: keel stopped reading it after ${OUTPUT_GRACE_MS} ms (redirect that process's output, or let it close its inherited descriptors)`,
        });
      }, OUTPUT_GRACE_MS);
    });
    // 'close': the process has exited and its stdio pipes are all closed. (After a spawn error
    // there was no process: 'error' has said so.)
    child.on('close', () => {
      if (!finished && exit) finish(verdict());
    });
  });
}

/**
 * Runs the hooks of one kind in order and returns the first failure (the hooks after it do not
 * run); warnings are logged as they come.
 */
export async function runHooks(kind: HookKind, hooks: readonly Hook[] | undefined, state: string): Promise<string | undefined> {
  for (const [i, hook] of (hooks ?? []).entries()) {
    log().debug(`running ${kind} hook ${i}: ${hook.path}`);
    const result = await runHook(kind, i, hook, state);
    if (result.warning) log().warn(result.warning);
    if (result.failure) return result.failure;
  }
  return undefined;
}

/** Hooks whose failure fails the operation (prestart, createRuntime, poststart). */
export async function runHooksOrThrow(kind: HookKind, hooks: readonly Hook[] | undefined, state: string): Promise<void> {
  const failure = await runHooks(kind, hooks, state);
  if (failure) throw new KeelError(failure);
}

/**
 * poststop: the container is gone, so a failure is a warning, and the hooks after it still run
 * (runtime.md, lifecycle step 13: "as if the hook had succeeded").
 */
export async function runHooksWarning(kind: HookKind, hooks: readonly Hook[] | undefined, state: string): Promise<void> {
  for (const [i, hook] of (hooks ?? []).entries()) {
    log().debug(`running ${kind} hook ${i}: ${hook.path}`);
    const result = await runHook(kind, i, hook, state);
    if (result.warning) log().warn(result.warning);
    if (result.failure) log().warn(result.failure);
  }
}
