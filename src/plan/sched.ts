/**
 * process.scheduler, process.ioPriority and linux.personality turned into the numbers
 * sched_setattr(2), ioprio_set(2) and personality(2) take. Pure: the checks are runc's, so a config
 * runc refuses is refused here too, naming the field.
 */
import type { IOPriority, LinuxPersonality, Scheduler } from '../spec/types.js';
import type { ReportProblem } from '../spec/problem.js';

/** linux/sched.h */
export const SCHED_POLICIES: Record<string, number> = {
  SCHED_OTHER: 0,
  SCHED_FIFO: 1,
  SCHED_RR: 2,
  SCHED_BATCH: 3,
  SCHED_ISO: 4,
  SCHED_IDLE: 5,
  SCHED_DEADLINE: 6,
};

/** linux/sched.h, SCHED_FLAG_* */
export const SCHED_FLAGS: Record<string, number> = {
  SCHED_FLAG_RESET_ON_FORK: 0x01,
  SCHED_FLAG_RECLAIM: 0x02,
  SCHED_FLAG_DL_OVERRUN: 0x04,
  SCHED_FLAG_KEEP_POLICY: 0x08,
  SCHED_FLAG_KEEP_PARAMS: 0x10,
  SCHED_FLAG_UTIL_CLAMP_MIN: 0x20,
  SCHED_FLAG_UTIL_CLAMP_MAX: 0x40,
};

/** The fields of struct sched_attr that keel fills (size and the util clamps are keel-init's). */
export interface CompiledScheduler {
  policy: number;
  flags: number;
  nice: number;
  priority: number;
  runtime: bigint;
  deadline: bigint;
  period: bigint;
}

export function compileScheduler(s: Scheduler, report: ReportProblem): CompiledScheduler | undefined {
  const policy = SCHED_POLICIES[s.policy];
  if (policy === undefined) {
    report('/process/scheduler/policy', `unknown policy "${s.policy}" (use one of ${Object.keys(SCHED_POLICIES).join(', ')})`);
    return undefined;
  }
  let flags = 0;
  (s.flags ?? []).forEach((f, i) => {
    const bit = SCHED_FLAGS[f];
    if (bit === undefined) report(`/process/scheduler/flags/${i}`, `unknown flag "${f}" (use one of ${Object.keys(SCHED_FLAGS).join(', ')})`);
    else flags |= bit;
  });
  const nice = s.nice ?? 0;
  if (!Number.isInteger(nice) || nice < -20 || nice > 19) report('/process/scheduler/nice', `${nice} is out of range: nice goes from -20 to 19`);
  const priority = s.priority ?? 0;
  const realtime = s.policy === 'SCHED_FIFO' || s.policy === 'SCHED_RR';
  if (priority !== 0 && !realtime) report('/process/scheduler/priority', `a priority applies to SCHED_FIFO and SCHED_RR only, not ${s.policy} (remove it, or use nice)`);
  if (realtime && (!Number.isInteger(priority) || priority < 1 || priority > 99)) {
    report('/process/scheduler/priority', `${s.policy} needs a priority from 1 to 99 (got ${priority})`);
  }
  const deadline = s.policy === 'SCHED_DEADLINE';
  if (!deadline && (s.runtime || s.deadline || s.period)) {
    report('/process/scheduler', `runtime, deadline and period apply to SCHED_DEADLINE only, not ${s.policy}`);
  }
  if (deadline && !s.runtime) report('/process/scheduler/runtime', 'SCHED_DEADLINE needs a runtime (nanoseconds)');
  return {
    policy,
    flags,
    nice,
    priority,
    runtime: BigInt(s.runtime ?? 0),
    deadline: BigInt(s.deadline ?? 0),
    period: BigInt(s.period ?? 0),
  };
}

/** linux/ioprio.h */
export const IOPRIO_CLASSES: Record<string, number> = { IOPRIO_CLASS_RT: 1, IOPRIO_CLASS_BE: 2, IOPRIO_CLASS_IDLE: 3 };
const IOPRIO_CLASS_SHIFT = 13;

/** The value ioprio_set takes: the class in the top bits, the level (0 highest, 7 lowest) below. */
export function compileIoPriority(io: IOPriority, report: ReportProblem): number | undefined {
  const cls = IOPRIO_CLASSES[io.class];
  if (cls === undefined) {
    report('/process/ioPriority/class', `unknown class "${io.class}" (use one of ${Object.keys(IOPRIO_CLASSES).join(', ')})`);
    return undefined;
  }
  if (!Number.isInteger(io.priority) || io.priority < 0 || io.priority > 7) {
    report('/process/ioPriority/priority', `${io.priority} is out of range: the priority goes from 0 (highest) to 7 (lowest)`);
    return undefined;
  }
  return (cls << IOPRIO_CLASS_SHIFT) | io.priority;
}

/** linux/personality.h */
export const PERSONALITY_DOMAINS: Record<string, number> = { LINUX: 0x0000, LINUX32: 0x0008 };

/** The personality(2) value. The spec defines no flags yet: like runc, any given are ignored with a warning. */
export function compilePersonality(p: LinuxPersonality, report: ReportProblem, warnings: string[]): number | undefined {
  const domain = PERSONALITY_DOMAINS[p.domain];
  if (domain === undefined) {
    report('/linux/personality/domain', `unknown domain "${p.domain}" (use LINUX or LINUX32)`);
    return undefined;
  }
  if (p.flags?.length) warnings.push(`linux.personality.flags [${p.flags.join(', ')}] ignored: the runtime-spec defines no personality flags yet`);
  return domain;
}
