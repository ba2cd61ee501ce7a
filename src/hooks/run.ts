/**
 * OCI hooks that keel itself runs, in its own (the runtime's) namespaces: prestart and
 * createRuntime at create, poststart after start, poststop at delete. Each gets the container's
 * state as JSON on stdin. createContainer and startContainer hooks must run inside the container,
 * so keel-init runs those (OP_RUN_HOOK).
 */
import type { spawnSync as SpawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

import type { Hook } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { hookTimeout } from './state.js';

/**
 * node:child_process, and the stream and net modules it pulls in, cost ~3 ms to load: start,
 * delete and create load this module, most containers have no hooks, so it is loaded on first use.
 */
const spawnSync = ((...args: Parameters<typeof SpawnSync>) =>
  (createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process')).spawnSync(...args)) as typeof SpawnSync;

export type HookKind = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

function runHook(kind: HookKind, index: number, hook: Hook, state: string): string | undefined {
  const env = Object.fromEntries((hook.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const args = hook.args ?? [hook.path];
  const timeout = hookTimeout(hook);
  const r = spawnSync(hook.path, args.slice(1), {
    argv0: args[0] ?? hook.path,
    env,
    input: state,
    stdio: ['pipe', 'inherit', 'inherit'],
    timeout: timeout ? timeout * 1000 : undefined,
    killSignal: 'SIGKILL',
  });
  const where = `${kind} hook ${index} (${hook.path})`;
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ETIMEDOUT') return `${where} did not finish within ${timeout} s`;
  // A hook need not read the state: its stdin closing early (EPIPE) is no failure of its own.
  if (r.error && code !== 'EPIPE') return `${where} could not run: ${r.error.message}`;
  if (r.signal) return `${where} was killed by ${r.signal}`;
  if (r.status !== 0) return `${where} exited with status ${r.status}`;
  return undefined;
}

/** Runs the hooks of one kind in order; the first failure stops creation. */
export function runHooks(kind: HookKind, hooks: readonly Hook[] | undefined, state: string): void {
  (hooks ?? []).forEach((hook, i) => {
    log().debug(`running ${kind} hook ${i}: ${hook.path}`);
    const failure = runHook(kind, i, hook, state);
    if (failure) throw new KeelError(failure);
  });
}

/** poststart and poststop: the container's life goes on (or is over), so a failure is only a warning. */
export function runHooksWarning(kind: HookKind, hooks: readonly Hook[] | undefined, state: string): void {
  (hooks ?? []).forEach((hook, i) => {
    const failure = runHook(kind, i, hook, state);
    if (failure) log().warn(failure);
  });
}
