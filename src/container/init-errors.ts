import { ownHardLimit } from '../host/limits.js';
import type { PlanOp } from '../plan/ops.js';
import { errnoName, strerror } from '../util/errno.js';

/** A refusal right after a seccomp filter went in is almost always the profile's doing. */
const FILTER_ERRNOS = new Set(['EPERM', 'EACCES', 'ENOSYS']);

/**
 * "mount proc on /proc: permission denied", plus what the user can do about it where we know.
 * `afterFilter`: the op ran after the container's seccomp filter was installed.
 */
export function describeOpFailure(op: PlanOp | undefined, errno: number, detail: string, afterFilter = false): string {
  const message = describe(op, errno, detail);
  if (afterFilter && FILTER_ERRNOS.has(errnoName(errno))) return `${message} (after the seccomp filter was installed: the container's profile may deny this call)`;
  return message;
}

function describe(op: PlanOp | undefined, errno: number, detail: string): string {
  const reason = strerror(errno);
  if (!op) return `keel-init failed before running the plan: ${detail || reason}`;
  const name = errnoName(errno);
  if (op.name === 'resolve-exec') {
    const argv0 = String(op.args.argv0);
    if (name === 'ENOENT') return `exec: "${argv0}": executable file not found in the container${argv0.includes('/') ? '' : ` ($PATH: ${String(op.args.path)})`}`;
    return `exec: "${argv0}": ${reason}`;
  }
  if (op.name === 'setrlimit' && name === 'EPERM') {
    const hostHard = ownHardLimit(String(op.args.name));
    return `${op.what}: ${reason}: the hard limit is above this host's (${hostHard ?? 'unknown'}) and keel lacks CAP_SYS_RESOURCE to raise it; lower process.rlimits ${String(op.args.name)} to at most ${hostHard ?? 'the host limit'}`;
  }
  // A call of the hook op that failed (pipe2, fork) is a step like any other's; the hook's own
  // failure (its exit status, its timeout: ECANCELED, ETIMEDOUT) is a sentence of its own.
  if (op.name === 'hook' && detail && name !== 'ECANCELED' && name !== 'ETIMEDOUT') return `${op.what}: ${detail}: ${reason}`;
  if (op.name === 'hook' && detail) return `${op.what}: ${detail}`;
  // keel-init names the program as it resolved it: exec "/bin/garb": exec format error.
  if (op.name === 'exec' && detail) return `${detail}: ${reason}`;
  if (op.name === 'mount' && name === 'EXDEV') {
    return `${op.what}: the destination leaves the container root through a symlink`;
  }
  // keel-init's detail names the step of the op that failed: "pivot_root into the container root
  // and detach the host root: mount --make-rslave the old root: invalid argument".
  return detail ? `${op.what}: ${detail}: ${reason}` : `${op.what}: ${reason}`;
}
