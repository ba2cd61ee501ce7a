/**
 * How long keel waits on keel-init and the processes it starts: no wait on something the
 * container can hold open may be without a bound (a stopped or stuck process would hang the
 * engine that called keel). Pure policy; init-session.ts applies it.
 */
import { OpCode, type PlanOp } from '../plan/ops.js';

/**
 * How long keel waits for each message from keel-init. Between two messages keel-init does one
 * stretch of the plan (the namespaces up to a sync point, or the mounts, devices and paths of the
 * container up to READY): well under a second on this project's 2-core VMs even when loaded, so a
 * minute covers a very slow host, and stays under the 2 minutes kubelet gives a runtime call by
 * default, so that keel's clear error comes before the engine gives up. Hooks keel-init runs
 * inside the container (createContainer) may take their own timeouts on top.
 */
export const REPLY_BOUND_MS = 60_000;

/**
 * The bound on each wait for keel-init in a conversation about `ops`: REPLY_BOUND_MS plus the
 * timeouts of the hooks keel-init runs before it reports ready; undefined (no bound) when one of
 * them has no timeout: the config asked keel-init to wait for that hook as long as it runs, and
 * keel waits as long (runc too). KEEL_TEST_REPLY_BOUND_MS replaces REPLY_BOUND_MS for tests that
 * hold a wait on purpose (test/integration/bounded-waits.test.ts), as KEEL_TEST_STOP_AT does
 * for stop points: engines never set it.
 */
export function replyBound(ops: readonly PlanOp[], env: NodeJS.ProcessEnv = process.env): number | undefined {
  const forTest = Number(env.KEEL_TEST_REPLY_BOUND_MS);
  let bound = forTest > 0 ? forTest : REPLY_BOUND_MS;
  for (const op of ops) {
    if (op.code === OpCode.WAIT_START) break;
    if (op.code !== OpCode.RUN_HOOK) continue;
    const timeout = Number(op.args.timeout);
    if (!(timeout > 0)) return undefined;
    bound += timeout * 1000;
  }
  return bound;
}

/** How long keel waits for a process it has SIGKILLed to exit (see InitSession.abort). */
export const KILLED_REAP_MS = 10_000;
