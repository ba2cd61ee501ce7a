/**
 * Whether this host's cgroups can take each limit of a config, asked before anything is created.
 * Kernels differ in what they provide: a v1 controller may not be mounted (hugetlb, net_cls,
 * net_prio, rdma on this project's hybrid hosts), and a controller may lack a file (blkio.weight
 * without the CFQ or BFQ scheduler, cpu.rt_* without RT group scheduling, memory.memsw.* without
 * swap accounting, a huge page size the CPU does not have). Writing such a file fails with EACCES
 * (cgroupfs cannot create files), which says nothing about the config; runc fails the same
 * configs, as late. Here each one is named by its config field instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import type { SpecProblem } from '../spec/problem.js';
import type { CgroupLayout } from './layout.js';
import type { CgroupWrite } from './resources.js';

/** v1 files the kernel gives every cgroup but the hierarchy's root: their absence there says nothing. */
const V1_NOT_IN_ROOT = new Set(['pids.max']);

/** Why a kernel may lack a file, for the files that hosts of one kind may or may not have. */
const WHY_MISSING: [RegExp, string][] = [
  [/^blkio\.(leaf_)?weight(_device)?$/, 'the CFQ and BFQ I/O schedulers provide it, and this kernel has neither'],
  [/^memory\.memsw\./, 'swap accounting is off (boot with swapaccount=1)'],
  [/^cpu\.rt_/, 'the kernel has no RT group scheduling (CONFIG_RT_GROUP_SCHED)'],
  [/^hugetlb\./, 'see /sys/kernel/mm/hugepages for the page sizes this host has'],
  [/^cpu\.cfs_burst_us$/, 'the kernel predates CFS burst (Linux 5.14)'],
];

/** The problem with a limit whose controller this host does not mount. */
export function controllerMissing(layout: CgroupLayout, controller: string): string {
  const where = layout.mode === 'v2' ? 'this host offers no' : 'this host mounts no cgroup v1';
  return `${where} ${controller} controller to apply it: remove the field, or run on a host with the controller`;
}

/** The problem with a limit whose file the kernel does not provide in its controller. */
export function fileMissing(controller: string, file: string): string {
  const why = WHY_MISSING.find(([pattern]) => pattern.test(file))?.[1];
  return `this host's kernel provides no ${file} in the ${controller} cgroup${why ? ` (${why})` : ''}, so the limit cannot be applied: remove the field`;
}

/**
 * The limits this host cannot apply, each at its field, found without creating anything: for each
 * file, the nearest existing ancestor of the container's cgroup is looked at (files exist at every
 * level of a v1 hierarchy, but for the few the root lacks). On v2 only the controller is checked:
 * a parent shows a controller's files only once enabled, which create does on its way down.
 */
export function unsupportedLimits(
  layout: CgroupLayout,
  path: string,
  writes: readonly CgroupWrite[],
  exists: (file: string) => boolean = existsSync,
  readText: (file: string) => string = readIfThere,
): SpecProblem[] {
  const problems: SpecProblem[] = [];
  const report = (field: string, message: string) => {
    if (!problems.some((p) => p.path === field)) problems.push({ path: field, message });
  };
  for (const w of writes) {
    const device = blockDevice(w);
    if (device && !exists(`/sys/dev/block/${device}`)) report(w.field, `this host has no block device ${device}: give the major and minor numbers of one of its disks (ls -l /dev or /sys/dev/block)`);
  }
  if (layout.mode === 'v2') return v2Unsupported(layout, writes, readText, report, problems);
  for (const w of writes) {
    const hierarchy = layout.v1.find((h) => h.options.split(',').includes(w.controller));
    if (!hierarchy) {
      report(w.field, controllerMissing(layout, w.controller));
      continue;
    }
    const top = join(layout.root, hierarchy.dir);
    let dir = join(top, path);
    while (dir !== top && !exists(dir)) dir = dirname(dir);
    // BFQ's own names for the same weights (v1BlkioFile in manager.ts picks between the two).
    const bfq = /^blkio\.weight(_device)?$/.test(w.file) ? w.file.replace('blkio.', 'blkio.bfq.') : undefined;
    if (exists(join(dir, w.file)) || (bfq && exists(join(dir, bfq)))) continue;
    if (dir === top && V1_NOT_IN_ROOT.has(w.file)) continue;
    report(w.field, fileMissing(w.controller, w.file));
  }
  return problems;
}

function v2Unsupported(
  layout: CgroupLayout,
  writes: readonly CgroupWrite[],
  readText: (file: string) => string,
  report: (field: string, message: string) => void,
  problems: SpecProblem[],
): SpecProblem[] {
  const offered = new Set(readText(join(layout.root, 'cgroup.controllers')).split(/\s+/));
  for (const w of writes) if (w.controller !== 'cgroup' && !offered.has(w.controller)) report(w.field, controllerMissing(layout, w.controller));
  return problems;
}

/** "MAJOR:MINOR" of a per-device block I/O limit (v1 blkio.*_device, v2 io.max and io.weight lines). */
function blockDevice(w: CgroupWrite): string | undefined {
  if (w.controller !== 'blkio' && w.controller !== 'io') return undefined;
  return /^(\d+:\d+) /.exec(w.value)?.[1];
}

function readIfThere(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
