import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { compileExecPlan } from '../../../src/plan/compile-exec.js';
import { OpCode } from '../../../src/plan/ops.js';
import { ConfigError, throwProblem } from '../../../src/spec/problem.js';
import { compileIoPriority, compilePersonality, compileScheduler } from '../../../src/plan/sched.js';
import { defaultSpec } from '../../../src/spec/default.js';
import type { Spec } from '../../../src/spec/types.js';
import { planInput } from '../../helpers/plan.js';
import { collectProblems } from '../../helpers/problems.js';

function plan(edit: (s: Spec) => void) {
  return compilePlan(planInput(edit));
}

describe('process.scheduler', () => {
  it('compiles policy, flags, nice and priority to sched_attr numbers', () => {
    expect(compileScheduler({ policy: 'SCHED_BATCH', nice: 5, flags: ['SCHED_FLAG_RESET_ON_FORK'] }, throwProblem)).toEqual({ policy: 3, flags: 1, nice: 5, priority: 0, runtime: 0n, deadline: 0n, period: 0n });
    expect(compileScheduler({ policy: 'SCHED_FIFO', priority: 10 }, throwProblem)).toMatchObject({ policy: 1, priority: 10 });
    expect(compileScheduler({ policy: 'SCHED_DEADLINE', runtime: 10_000_000, deadline: 30_000_000, period: 30_000_000 }, throwProblem)).toMatchObject({ policy: 6, runtime: 10_000_000n, deadline: 30_000_000n, period: 30_000_000n });
  });

  it('refuses what runc refuses, naming the field', () => {
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_OTHER', nice: 20 }, r))).toEqual(['/process/scheduler/nice: 20 is out of range: nice goes from -20 to 19']);
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_OTHER', priority: 3 }, r))[0]).toMatch(/^\/process\/scheduler\/priority: a priority applies to SCHED_FIFO and SCHED_RR only/);
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_RR' }, r))[0]).toMatch(/^\/process\/scheduler\/priority: SCHED_RR needs a priority from 1 to 99/);
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_BATCH', runtime: 5 }, r))[0]).toMatch(/^\/process\/scheduler: runtime, deadline and period apply to SCHED_DEADLINE only/);
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_X' as never }, r))[0]).toMatch(/^\/process\/scheduler\/policy: unknown policy "SCHED_X"/);
    expect(collectProblems((r) => compileScheduler({ policy: 'SCHED_OTHER', flags: ['SCHED_FLAG_NOPE' as never] }, r))[0]).toMatch(/^\/process\/scheduler\/flags\/0: unknown flag/);
  });
});

describe('process.ioPriority', () => {
  it('puts the class above bit 13 and the level below', () => {
    expect(compileIoPriority({ class: 'IOPRIO_CLASS_BE', priority: 7 }, throwProblem)).toBe((2 << 13) | 7);
    expect(compileIoPriority({ class: 'IOPRIO_CLASS_RT', priority: 0 }, throwProblem)).toBe(1 << 13);
    expect(compileIoPriority({ class: 'IOPRIO_CLASS_IDLE', priority: 0 }, throwProblem)).toBe(3 << 13);
  });
  it('refuses a level outside 0-7 and an unknown class', () => {
    expect(() => compileIoPriority({ class: 'IOPRIO_CLASS_BE', priority: 8 }, throwProblem)).toThrow('/process/ioPriority/priority: 8 is out of range');
    expect(() => compileIoPriority({ class: 'IOPRIO_CLASS_X' as never, priority: 1 }, throwProblem)).toThrow(ConfigError);
  });
});

describe('linux.personality', () => {
  it('maps LINUX32 to PER_LINUX32 and warns about flags, as runc does', () => {
    const warnings: string[] = [];
    expect(compilePersonality({ domain: 'LINUX32', flags: ['X'] }, throwProblem, warnings)).toBe(8);
    expect(warnings[0]).toMatch(/flags \[X\] ignored/);
    expect(compilePersonality({ domain: 'LINUX' }, throwProblem, [])).toBe(0);
    expect(() => compilePersonality({ domain: 'BSD' as never }, throwProblem, [])).toThrow('/linux/personality/domain: unknown domain "BSD"');
  });
});

describe('the plan', () => {
  const edit = (s: Spec) => {
    s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 3 };
    s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 };
    s.linux!.personality = { domain: 'LINUX32' };
  };

  it('sets scheduling, I/O priority and personality in the container, before capabilities are dropped', () => {
    const ops = plan(edit).ops;
    const at = (name: string) => ops.findIndex((o) => o.name === name);
    for (const name of ['scheduler', 'io-priority', 'personality']) {
      expect(at(name)).toBeGreaterThan(at('pivot-root'));
      expect(at(name)).toBeLessThan(at('bounding-set'));
    }
    expect(ops[at('scheduler')]).toMatchObject({ code: OpCode.SCHEDULER, ints: [3n, 0n, 3n, 0n, 0n, 0n, 0n] });
    expect(ops[at('io-priority')]).toMatchObject({ code: OpCode.IOPRIO, ints: [BigInt(3 << 13)] });
    expect(ops[at('personality')]).toMatchObject({ code: OpCode.PERSONALITY, ints: [8n] });
  });

  it('leaves them out when the config has none', () => {
    const names = plan(() => {}).ops.map((o) => o.name);
    expect(names).not.toContain('scheduler');
    expect(names).not.toContain('io-priority');
    expect(names).not.toContain('personality');
  });

  it('gives them to keel exec too', () => {
    const spec = defaultSpec();
    edit(spec);
    const names = compileExecPlan({ process: spec.process!, namespaces: {}, host: { rlimitCeiling: () => undefined }, preserveFds: 0, personality: spec.linux!.personality }).ops.map((o) => o.name);
    expect(names).toEqual(expect.arrayContaining(['scheduler', 'io-priority', 'personality']));
  });
});
