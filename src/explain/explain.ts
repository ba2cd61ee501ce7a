/**
 * `keel explain`: the plan `create` would carry out for a bundle on this host, created by the same
 * compiler and described with the same words keel uses when an op fails.
 */
import { selectCgroupDriver } from '../cgroups/select-driver.js';
import type { CgroupWrite } from '../cgroups/resources.js';
import { readHostFacts } from '../host/facts.js';
import { compilePlan } from '../plan/compile.js';
import type { PlanOp } from '../plan/ops.js';
import { loadBundle } from '../spec/load.js';

export type PhaseName = 'namespaces' | 'container' | 'process' | 'exec';

export interface Explanation {
  bundle: string;
  rootfs: string;
  /** The driver's words for how it manages the cgroup on this host ("hybrid", "v2"). */
  cgroupMode: string;
  /** The container's cgroup and every file and value written there, in order. */
  cgroup: { path: string; writes: CgroupWrite[] };
  phases: { name: PhaseName; steps: { op: string; what: string; args: Record<string, unknown> }[] }[];
  warnings: string[];
  notes: string[];
}

/**
 * Splits the ops, which keep their order, into four runs: the namespace phase up to the fork of
 * the init; the container's setup (root filesystem, names, sysctls, masked paths) up to its last
 * filesystem op; the process's attributes; and the exec of the user's program.
 */
export function splitPhases(plan: readonly PlanOp[]): PhaseName[] {
  const forkAt = plan.findIndex((op) => op.name === 'fork-init');
  const lastFs = plan.findLastIndex((op) => ['pivot-root', 'chroot', 'mask', 'readonly', 'remount', 'set-propagation'].includes(op.name));
  const execAt = plan.findIndex((op) => op.name === 'resolve-exec');
  return plan.map((_, i) => (i <= forkAt ? 'namespaces' : i <= lastFs ? 'container' : i < execAt || execAt < 0 ? 'process' : 'exec'));
}

export function explainBundle(bundleDir: string, flags: { systemdCgroup?: boolean; rootless?: boolean } = {}): Explanation {
  const { bundle, spec, rootfs } = loadBundle(bundleDir);
  const driver = selectCgroupDriver(flags);
  const host = readHostFacts(rootfs, driver.layout);
  const cgroupPath = driver.place(spec, '<container-id>').path;
  const plan = compilePlan({ id: '<container-id>', spec, bundle, rootfs, cgroupPath, host, fifoFd: 4, preserveFds: 0 });
  const cgroup = { path: cgroupPath, writes: driver.plannedWrites(spec.linux?.resources ?? {}) };
  const phases: Explanation['phases'] = [];
  const names = splitPhases(plan.ops);
  plan.ops.forEach((op, i) => {
    if (names[i] !== names[i - 1]) phases.push({ name: names[i]!, steps: [] });
    phases.at(-1)!.steps.push({ op: op.name, what: op.what, args: { ...op.args } });
  });
  return { bundle, rootfs, cgroupMode: driver.describe(), cgroup, phases, warnings: plan.warnings, notes: plan.notes };
}

/** A numbered checklist, grouped by phase, that a person can follow. */
export function formatExplanation(e: Explanation): string {
  const lines = [`bundle ${e.bundle}`, `root filesystem ${e.rootfs}`, `cgroup ${e.cgroup.path} (${e.cgroupMode})`];
  for (const w of e.cgroup.writes) lines.push(`  write ${JSON.stringify(w.value)} to ${w.controller === w.file.split('.')[0] ? '' : `${w.controller}/`}${w.file}`);
  lines.push('');
  let n = 0;
  for (const phase of e.phases) {
    lines.push(`${phase.name}:`);
    for (const step of phase.steps) lines.push(`  ${String(++n).padStart(3)}. ${step.what}`);
    if (phase.name === 'exec') {
      const exec = phase.steps.find((s) => s.op === 'exec');
      for (const env of (exec?.args.env as string[] | undefined) ?? []) lines.push(`       env ${env}`);
    }
    lines.push('');
  }
  for (const w of e.warnings) lines.push(`warning: ${w}`);
  for (const note of e.notes) lines.push(`note: ${note}`);
  return lines.join('\n').trimEnd() + '\n';
}
