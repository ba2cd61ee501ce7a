import { readFileSync } from 'node:fs';

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
    const hostHard = hostHardLimit(String(op.args.name));
    return `${op.what}: ${reason}: the hard limit is above this host's (${hostHard ?? 'unknown'}) and keel lacks CAP_SYS_RESOURCE to raise it; lower process.rlimits ${op.args.name} to at most ${hostHard ?? 'the host limit'}`;
  }
  if (op.name === 'mount' && name === 'EXDEV') {
    return `${op.what}: the destination leaves the container root through a symlink`;
  }
  return `${op.what}: ${reason}${detail ? ` (${detail})` : ''}`;
}

const LIMITS_ROWS: Record<string, string> = {
  RLIMIT_CPU: 'Max cpu time',
  RLIMIT_FSIZE: 'Max file size',
  RLIMIT_DATA: 'Max data size',
  RLIMIT_STACK: 'Max stack size',
  RLIMIT_CORE: 'Max core file size',
  RLIMIT_RSS: 'Max resident set',
  RLIMIT_NPROC: 'Max processes',
  RLIMIT_NOFILE: 'Max open files',
  RLIMIT_MEMLOCK: 'Max locked memory',
  RLIMIT_AS: 'Max address space',
  RLIMIT_LOCKS: 'Max file locks',
  RLIMIT_SIGPENDING: 'Max pending signals',
  RLIMIT_MSGQUEUE: 'Max msgqueue size',
  RLIMIT_NICE: 'Max nice priority',
  RLIMIT_RTPRIO: 'Max realtime priority',
  RLIMIT_RTTIME: 'Max realtime timeout',
};

/** keel's own hard limit, which is as far as it can let a container go without CAP_SYS_RESOURCE. */
export function hostHardLimit(rlimit: string): string | undefined {
  const row = LIMITS_ROWS[rlimit];
  if (!row) return undefined;
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith(row));
  return line?.slice(row.length).trim().split(/\s+/)[1];
}
