/**
 * Fault injection for tests, and nothing else: with KEEL_TEST_STOP_AT=<step> in its environment,
 * `keel create` (or `exec`) stops itself (SIGSTOP) when it reaches that step, so that a test can
 * SIGKILL it there and check that `delete --force` still leaves the host as it was, or hold
 * keel-init there to check that keel's waits on it are bounded. Unset, it costs one environment
 * lookup per step. Not a feature: engines never set it.
 */
export const CREATE_STEPS = [
  'claiming', // state.json written in the temporary directory, before it is renamed into place
  'claimed', // the state directory holds the first record ("creating")
  'spawned', // keel-init cloned, the plan not yet answered
  'sync-cgroup', // keel-init waits at the cgroup sync point; keel has placed it
  'sync-id-maps', // keel-init waits in its new user namespace; keel has written the id maps
  'init-pid', // the container init is forked and its pid is in state.json
  'ready', // mounts and the rest of the plan done; the init waits for MSG_COMMIT
  'state-written', // state.json says "created", the pid file is not written yet
  'pid-file', // the pid file is written; keel-init has not been told to commit yet
] as const;

export type CreateStep = (typeof CREATE_STEPS)[number];

/** `keel exec`'s steps, apart from create's: the faults lane kills create at each of those. */
export const EXEC_STEPS = [
  'exec-sync-cgroup', // keel-init waits at the cgroup sync point; keel has moved it into the container's cgroups
] as const;

export type ExecStep = (typeof EXEC_STEPS)[number];

export function testStopPoint(step: CreateStep | ExecStep): void {
  if (process.env.KEEL_TEST_STOP_AT === step) process.kill(process.pid, 'SIGSTOP');
}
