import { readFileSync } from 'node:fs';

const CAP_SYS_RESOURCE = 24n;

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

/** keel's own hard limit for an rlimit, from /proc/self/limits ("unlimited" comes back as undefined). */
export function ownHardLimit(rlimit: string, limits = readFileSync('/proc/self/limits', 'utf8')): bigint | undefined {
  const row = LIMITS_ROWS[rlimit];
  const line = row && limits.split('\n').find((l) => l.startsWith(row));
  const hard = line ? line.slice(row.length).trim().split(/\s+/)[1] : undefined;
  return hard && /^\d+$/.test(hard) ? BigInt(hard) : undefined;
}

/** Without CAP_SYS_RESOURCE no process may raise a hard limit, so keel's own are the ceiling. */
export function canRaiseHardLimits(status = readFileSync('/proc/self/status', 'utf8')): boolean {
  const capEff = status.match(/^CapEff:\s*([0-9a-f]+)$/m)?.[1];
  return capEff !== undefined && ((BigInt(`0x${capEff}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}
