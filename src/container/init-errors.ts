import { ownHardLimit } from '../host/limits.js';
import type { PlanOp } from '../plan/ops.js';
import { errnoName, strerror } from '../util/errno.js';

/** "mount proc on /proc: permission denied", plus what the user can do about it where we know. */
export function describeOpFailure(op: PlanOp | undefined, errno: number, detail: string): string {
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
    return `${op.what}: ${reason}: the hard limit is above this host's (${hostHard ?? 'unknown'}) and keel lacks CAP_SYS_RESOURCE to raise it; lower process.rlimits ${op.args.name} to at most ${hostHard ?? 'the host limit'}`;
  }
  // A call of the hook op that failed (pipe2, fork) is a step like any other's; the hook's own
  // failure (its exit status, its timeout: ECANCELED, ETIMEDOUT) is a sentence of its own.
  if (op.name === 'hook' && detail && name !== 'ECANCELED' && name !== 'ETIMEDOUT') return `${op.what}: ${detail}: ${reason}`;
  if (op.name === 'hook' && detail) return `${op.what}: ${detail}`;
  if (op.name === 'mount' && name === 'EXDEV') {
    return `${op.what}: the destination leaves the container root through a symlink`;
  }
  // keel-init's detail names the step of the op that failed: "pivot_root into the container root
  // and detach the host root: mount --make-rslave the old root: invalid argument".
  return detail ? `${op.what}: ${detail}: ${reason}` : `${op.what}: ${reason}`;
}
