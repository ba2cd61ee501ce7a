import type { POSIXRlimit } from '../spec/types.js';
import { throwProblem, type ReportProblem } from './problems.js';

/** Resource numbers from asm-generic/resource.h. */
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

export interface CompiledRlimit {
  name: string;
  resource: number;
  soft: bigint;
  hard: bigint;
}

/**
 * `ceiling(name)` is the highest hard limit keel can grant (its own, when it lacks
 * CAP_SYS_RESOURCE to go above it), or undefined when there is no such ceiling.
 */
export function compileRlimits(
  rlimits: readonly POSIXRlimit[] = [],
  ceiling: (name: string) => bigint | undefined = () => undefined,
  report: ReportProblem = throwProblem,
): CompiledRlimit[] {
  const seen = new Set<string>();
  const compiled: CompiledRlimit[] = [];
  rlimits.forEach((rl, i) => {
    const resource = RLIMITS[rl.type];
    const soft = BigInt(rl.soft);
    const hard = BigInt(rl.hard);
    const max = ceiling(rl.type);
    if (resource === undefined) {
      report(`/process/rlimits/${i}/type`, `unknown rlimit "${rl.type}" (known: ${Object.keys(RLIMITS).join(', ')})`);
    } else if (seen.has(rl.type)) {
      report(`/process/rlimits/${i}/type`, `${rl.type} is set twice`);
    } else if (soft > hard) {
      report(`/process/rlimits/${i}`, `soft limit ${soft} is above the hard limit ${hard}`);
    } else if (max !== undefined && hard > max) {
      report(`/process/rlimits/${i}/hard`, `${rl.type} hard limit ${hard} is above this host's ${max}, and keel lacks CAP_SYS_RESOURCE to raise it: use at most ${max}`);
    } else {
      seen.add(rl.type);
      compiled.push({ name: rl.type, resource, soft, hard });
    }
  });
  return compiled;
}
