/**
 * process.execCPUAffinity (config.md): the CPUs a process keel exec starts runs on, `initial`
 * while keel-init joins the container (before it is in the container's cgroup), `final` once it
 * is. It is not for the container's init, as config.md says.
 */
import type { CPUAffinity } from '../spec/types.js';
import { parseIdList } from './cpu-list.js';
import type { ReportProblem } from '../spec/problem.js';

export interface CompiledAffinity {
  initial?: number[];
  final?: number[];
}

export function compileAffinity(a: CPUAffinity | undefined, base: string, report: ReportProblem): CompiledAffinity {
  const out: CompiledAffinity = {};
  for (const when of ['initial', 'final'] as const) {
    const text = a?.[when];
    if (text === undefined) continue;
    const cpus = parseIdList(text);
    if (typeof cpus === 'string') report(`${base}/execCPUAffinity/${when}`, cpus);
    // An empty list leaves the affinity alone (config.md: "If omitted or empty").
    else if (cpus.length) out[when] = cpus;
  }
  return out;
}
