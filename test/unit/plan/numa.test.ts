import { describe, expect, it } from 'vitest';

import { compileAffinity } from '../../../src/plan/affinity.js';
import { parseIdList } from '../../../src/plan/cpu-list.js';
import { compileMemoryPolicy, MPOL_FLAGS, MPOL_MODES } from '../../../src/plan/mempolicy.js';
import { compileExecPlan } from '../../../src/plan/compile-exec.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { collectProblems } from '../../helpers/problems.js';

describe('CPU and node lists', () => {
  it('reads the kernel list syntax', () => {
    expect(parseIdList('0-3,7')).toEqual([0, 1, 2, 3, 7]);
    expect(parseIdList(' 2 , 1-2 ')).toEqual([1, 2]);
    expect(parseIdList('')).toEqual([]);
    expect(parseIdList('a')).toMatch(/is not a list/);
    expect(parseIdList('9000')).toMatch(/above 8191/);
  });
});

describe('linux.memoryPolicy', () => {
  const compile = (p: Parameters<typeof compileMemoryPolicy>[0], nodes = [0, 1]) => {
    let out: ReturnType<typeof compileMemoryPolicy>;
    const problems = collectProblems((report) => (out = compileMemoryPolicy(p, nodes, report)));
    return { out: out!, problems };
  };
  it('gives set_mempolicy the mode with its flags, and the nodes', () => {
    expect(compile({ mode: 'MPOL_INTERLEAVE', nodes: '0-1', flags: ['MPOL_F_STATIC_NODES'] }).out).toEqual({ mode: MPOL_MODES.MPOL_INTERLEAVE | MPOL_FLAGS.MPOL_F_STATIC_NODES, nodes: [0, 1] });
  });
  it('checks the nodes against the host, except relative ones', () => {
    expect(compile({ mode: 'MPOL_BIND', nodes: '2' }).problems).toEqual(['/linux/memoryPolicy/nodes: node 2 does not exist on this host (it has 0, 1)']);
    expect(compile({ mode: 'MPOL_BIND', nodes: '2', flags: ['MPOL_F_RELATIVE_NODES'] }).problems).toEqual([]);
  });
});

describe('process.execCPUAffinity', () => {
  it('exec: initial before the cgroup sync, final right after it', () => {
    const process = { ...defaultSpec().process!, execCPUAffinity: { initial: '0', final: '0-1' } };
    const plan = compileExecPlan({ process, namespaces: {}, host: { rlimitCeiling: () => undefined }, preserveFds: 0 });
    const names = plan.ops.map((o) => o.name);
    expect(names.slice(0, 4)).toEqual(['not-dumpable', 'cpu-affinity', 'sync', 'cpu-affinity']);
    expect(plan.ops[1]!.ints).toEqual([0n]);
    expect(plan.ops[3]!.ints).toEqual([0n, 1n]);
  });
  it('an empty list leaves the affinity alone (config.md)', () => {
    expect(compileAffinity({ initial: '', final: '' }, '/process', () => {})).toEqual({});
  });
});
