import type { POSIXRlimit } from '../spec/types.js';
import { throwProblem, type ReportProblem } from '../spec/problem.js';

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

/** RLIM_INFINITY: (rlim_t)-1, the usual "unlimited" (podman --ulimit core=-1 sends it). */
export const RLIM_INFINITY = 2n ** 64n - 1n;

/**
 * A limit as the kernel takes it. JSON.parse reads integers beyond 2^53 as the nearest double:
 * 18446744073709551615 (2^64-1, unlimited) arrives as 2^64, so anything from 2^64 up means
 * unlimited. Any other value above 2^53 cannot be known exactly, so it is refused rather than
 * rounded to a limit nobody asked for.
 */
function limitValue(value: unknown, path: string, report: ReportProblem): bigint | undefined {
  if (typeof value === 'number' && value >= 2 ** 64) return RLIM_INFINITY;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  const big = typeof value === 'number' && Number.isInteger(value) && value > 0;
  const shown = big ? String(BigInt(value)) : JSON.stringify(value);
  report(path, `${shown} ${big ? 'is above 2^53 and cannot be read exactly' : 'is not a limit'}: use an integer from 0 to 9007199254740991, or 18446744073709551615 for unlimited`);
  return undefined;
}

/** "unlimited" for RLIM_INFINITY, as /proc/<pid>/limits shows it. */
export function formatLimit(value: bigint): string {
  return value === RLIM_INFINITY ? 'unlimited' : String(value);
}

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
    const soft = limitValue(rl.soft, `/process/rlimits/${i}/soft`, report);
    const hard = limitValue(rl.hard, `/process/rlimits/${i}/hard`, report);
    const max = ceiling(rl.type);
    if (soft === undefined || hard === undefined) {
      // reported above
    } else if (resource === undefined) {
      report(`/process/rlimits/${i}/type`, `unknown rlimit "${rl.type}" (known: ${Object.keys(RLIMITS).join(', ')})`);
    } else if (seen.has(rl.type)) {
      report(`/process/rlimits/${i}/type`, `${rl.type} is set twice`);
    } else if (soft > hard) {
      report(`/process/rlimits/${i}`, `soft limit ${formatLimit(soft)} is above the hard limit ${formatLimit(hard)}`);
    } else if (max !== undefined && hard > max) {
      report(`/process/rlimits/${i}/hard`, `${rl.type} hard limit ${formatLimit(hard)} is above this host's ${max}, and keel lacks CAP_SYS_RESOURCE to raise it: use at most ${max}`);
    } else {
      seen.add(rl.type);
      compiled.push({ name: rl.type, resource, soft, hard });
    }
  });
  return compiled;
}
