import type { POSIXRlimit } from '../spec/types.js';
import { KeelError } from '../util/errors.js';

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

export function compileRlimits(rlimits: readonly POSIXRlimit[] = []): CompiledRlimit[] {
  const seen = new Set<string>();
  return rlimits.map((rl, i) => {
    const resource = RLIMITS[rl.type];
    if (resource === undefined) {
      throw new KeelError(`config.json: /process/rlimits/${i}/type: unknown rlimit "${rl.type}" (known: ${Object.keys(RLIMITS).join(', ')})`);
    }
    if (seen.has(rl.type)) throw new KeelError(`config.json: /process/rlimits/${i}/type: ${rl.type} is set twice`);
    seen.add(rl.type);
    const soft = BigInt(rl.soft);
    const hard = BigInt(rl.hard);
    if (soft > hard) {
      throw new KeelError(`config.json: /process/rlimits/${i}: soft limit ${soft} is above the hard limit ${hard}`);
    }
    return { name: rl.type, resource, soft, hard };
  });
}
