/**
 * linux.memoryPolicy -> set_mempolicy(2)'s mode and node list (config-linux.md), with runc's
 * checks of which modes take nodes; a node this host does not have is refused naming the field.
 */
import type { LinuxMemoryPolicy } from '../spec/types.js';
import { parseIdList } from './cpu-list.js';
import type { ReportProblem } from '../spec/problem.js';

/** linux/mempolicy.h */
export const MPOL_MODES = { MPOL_DEFAULT: 0, MPOL_PREFERRED: 1, MPOL_BIND: 2, MPOL_INTERLEAVE: 3, MPOL_LOCAL: 4, MPOL_PREFERRED_MANY: 5, MPOL_WEIGHTED_INTERLEAVE: 6 } as const;
export const MPOL_FLAGS = { MPOL_F_STATIC_NODES: 1 << 15, MPOL_F_RELATIVE_NODES: 1 << 14, MPOL_F_NUMA_BALANCING: 1 << 13 } as const;

const NO_NODES = new Set(['MPOL_DEFAULT', 'MPOL_LOCAL']);
const SOME_NODES = new Set(['MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_PREFERRED_MANY', 'MPOL_WEIGHTED_INTERLEAVE']);

export interface CompiledMemoryPolicy {
  /** The mode with its flags, as set_mempolicy takes it. */
  mode: number;
  nodes: number[];
}

/** `hostNodes`: the memory nodes this host has (undefined: not known, nothing checked). */
export function compileMemoryPolicy(p: LinuxMemoryPolicy, hostNodes: readonly number[] | undefined, report: ReportProblem): CompiledMemoryPolicy | undefined {
  const at = '/linux/memoryPolicy';
  const nodes = parseIdList(p.nodes ?? '');
  if (typeof nodes === 'string') return report(`${at}/nodes`, nodes), undefined;
  if (NO_NODES.has(p.mode) && nodes.length) return report(`${at}/nodes`, `${p.mode} takes no nodes: remove "nodes"`), undefined;
  if (SOME_NODES.has(p.mode) && !nodes.length) return report(`${at}/nodes`, `${p.mode} needs at least one node`), undefined;
  const flags = (p.flags ?? []).reduce((all, f) => all | MPOL_FLAGS[f], 0);
  // Relative nodes are counted within the process's allowed nodes: any number may be meant.
  const missing = hostNodes && !(flags & MPOL_FLAGS.MPOL_F_RELATIVE_NODES) ? nodes.filter((n) => !hostNodes.includes(n)) : [];
  if (missing.length) {
    return report(`${at}/nodes`, `node${missing.length > 1 ? 's' : ''} ${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist on this host (it has ${hostNodes!.join(', ')})`), undefined;
  }
  return { mode: MPOL_MODES[p.mode] | flags, nodes };
}
