/**
 * The plan for `keel exec`: a new process that enters a running container. It becomes
 * non-dumpable first (so nothing in the container can reach it through /proc while it still holds
 * keel-init's memory), joins the container's cgroups, then its namespaces (user first, mount
 * last: until then the /proc paths are resolved on the host), forks so that the PID namespace
 * applies, and takes on the process attributes exactly as create gives them.
 */
import type { LinuxMemoryPolicy, LinuxNamespaceType, LinuxPersonality, LinuxSeccomp, Process } from '../spec/types.js';
import { compileAffinity } from './affinity.js';
import type { HostFacts, Plan } from './compile.js';
import { planOomScoreAdj, planProcessOps } from './compile.js';
import type { LsmFacts } from './lsm.js';
import { cloneFlags } from './namespaces.js';
import { ops, SyncTag, type PlanOp } from './ops.js';
import { throwProblem, type ReportProblem } from '../spec/problem.js';
import { refusedFields } from '../spec/coverage.js';

/** Join order: the user namespace gives the rights to join the rest; the mount one changes /proc. */
const JOIN_ORDER: LinuxNamespaceType[] = ['user', 'ipc', 'uts', 'network', 'pid', 'cgroup', 'time', 'mount'];

export interface ExecInput {
  process: Process;
  /** The container's namespaces that differ from keel's own, by type, as /proc/<init>/ns/* paths. */
  namespaces: Partial<Record<LinuxNamespaceType, string>>;
  host: Pick<HostFacts, 'rlimitCeiling' | 'homeOf' | 'memoryNodes'>;
  preserveFds: number;
  /** The connected console socket, for a process with a terminal. */
  consoleFd?: number;
  /** The container's seccomp filter, which an exec'd process gets too. */
  seccomp?: LinuxSeccomp;
  /** The container's linux.personality, which an exec'd process takes too. */
  personality?: LinuxPersonality;
  /** The container's linux.memoryPolicy, which an exec'd process takes too (as runc). */
  memoryPolicy?: LinuxMemoryPolicy;
  /** The security modules the host runs, for the process's AppArmor profile or SELinux label. */
  lsm?: LsmFacts;
  report?: ReportProblem;
  /** The container's session keyring, to join (absent: the container was created with --no-new-keyring). */
  sessionKeyring?: string;
}

export function compileExecPlan(input: ExecInput): Pick<Plan, 'ops' | 'warnings' | 'notes'> {
  const warnings: string[] = [];
  const notes: string[] = [];
  const report = input.report ?? throwProblem;
  // exec's process (--process, or the container's with overrides) has met no semantic check.
  for (const p of refusedFields(input.process, '/process')) report(p.path, p.message);
  // execCPUAffinity, as runc: `initial` while keel-init is still outside the container's cgroup,
  // `final` as soon as it is in (the cpuset there may not have the initial CPUs).
  const affinity = compileAffinity(input.process.execCPUAffinity, '/process', report);
  const plan: PlanOp[] = [ops.notDumpable()];
  if (affinity.initial) plan.push(ops.cpuAffinity('initial', affinity.initial));
  plan.push(ops.sync(SyncTag.CGROUP, "wait for keel to move the process into the container's cgroups"));
  if (affinity.final) plan.push(ops.cpuAffinity('final', affinity.final));
  for (const type of JOIN_ORDER) {
    const path = input.namespaces[type];
    if (path) plan.push(ops.setns(type, cloneFlags([type]), path));
  }
  plan.push(ops.forkInit(input.namespaces.pid !== undefined));
  if (input.sessionKeyring) plan.push(ops.sessionKeyring(input.sessionKeyring, 0));
  if (input.process.oomScoreAdj !== undefined) plan.push(planOomScoreAdj(input.process.oomScoreAdj));
  plan.push(
    ...planProcessOps(input.process, {
      rlimitCeiling: input.host.rlimitCeiling,
      homeOf: input.host.homeOf,
      report,
      warnings,
      notes,
      consoleFd: input.consoleFd,
      preserveFds: input.preserveFds,
      seccomp: input.seccomp,
      personality: input.personality,
      memoryPolicy: input.memoryPolicy,
      memoryNodes: input.host.memoryNodes,
      lsm: input.lsm,
    }),
  );
  return { ops: plan, warnings, notes };
}
