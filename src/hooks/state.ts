/**
 * What every hook is given, whoever runs it: the container's state as JSON on stdin, and a timeout
 * in seconds. Pure, so that the plan compiler (for the hooks keel-init runs) and keel itself (for
 * the hooks it runs, src/hooks/run.ts) share it without the plan loading child_process.
 */
import type { ContainerStatus, Hook, Spec, State } from '../spec/types.js';

/** setTimeout and friends overflow above 2^31-1 ms; a longer timeout is no timeout at all in practice. */
const MAX_TIMEOUT_S = Math.floor(0x7fffffff / 1000);

export function hookState(spec: Spec, id: string, bundle: string, status: ContainerStatus, pid?: number): string {
  const state: State = { ociVersion: spec.ociVersion, id, status, bundle };
  if (pid !== undefined) state.pid = pid;
  if (spec.annotations) state.annotations = spec.annotations;
  return JSON.stringify(state);
}

/** The hook's timeout in seconds, 0 for none. */
export function hookTimeout(hook: Hook): number {
  return hook.timeout ? Math.min(hook.timeout, MAX_TIMEOUT_S) : 0;
}
