import { isAbsolute, posix, resolve } from 'node:path';

import type { CgroupLayout } from '../cgroups/layout.js';
import type { Mount } from '../spec/types.js';
import { CreateAs, ops, type PlanOp } from './ops.js';
import { MS, flagNames, parseMountOptions } from './mount-options.js';
import type { ReportProblem } from './problems.js';

/** Destinations are container paths: made absolute and normalised ("a/../b" -> "/b"). */
export function containerPath(path: string): string {
  return posix.normalize(posix.join('/', path));
}

export interface MountContext {
  bundle: string;
  cgroups: CgroupLayout;
  /** Whether a host path is a file or a directory (undefined: missing). Injected to keep this pure. */
  kindOf(path: string): 'file' | 'dir' | undefined;
  report: ReportProblem;
}

const BIND_CHANGEABLE = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME;

export function planMount(mount: Mount, index: number, ctx: MountContext): PlanOp[] {
  const destination = containerPath(mount.destination);
  const opts = parseMountOptions(mount.options);
  if (opts.unsupported.length) {
    ctx.report(`/mounts/${index}/options`, `keel does not support ${opts.unsupported.map((o) => `"${o}"`).join(', ')} yet`);
    return [];
  }
  const isBind = (opts.flags & MS.BIND) !== 0 || mount.type === 'bind';
  if (mount.type === 'cgroup' || mount.type === 'cgroup2') return planCgroupMount(destination, opts.flags, ctx.cgroups);
  if (!isBind) {
    return [
      ops.mount({
        source: mount.source ?? mount.type ?? 'none',
        destination,
        type: mount.type ?? '',
        data: opts.data.join(','),
        flags: opts.flags,
        propagation: opts.propagation,
        remountFlags: 0,
        createAs: CreateAs.DIR,
        options: mount.options ?? [],
      }),
    ];
  }

  if (!mount.source) {
    ctx.report(`/mounts/${index}`, 'a bind mount needs a "source"');
    return [];
  }
  const source = isAbsolute(mount.source) ? mount.source : resolve(ctx.bundle, mount.source);
  const kind = ctx.kindOf(source);
  if (!kind) {
    ctx.report(`/mounts/${index}/source`, `bind mount source "${source}" does not exist`);
    return [];
  }
  const bindFlags = MS.BIND | (opts.flags & MS.REC);
  return [
    ops.mount({
      source,
      destination,
      type: '',
      data: '',
      flags: bindFlags,
      propagation: opts.propagation,
      remountFlags: opts.flags & BIND_CHANGEABLE,
      createAs: kind === 'file' ? CreateAs.FILE : CreateAs.DIR,
      options: mount.options ?? [],
    }),
  ];
}

/**
 * The cgroup filesystem as the host has it. On v2, one cgroup2 mount. On v1 and hybrid hosts, a
 * tmpfs with one mount per v1 hierarchy (inside a cgroup namespace each shows the container's own
 * cgroup), as runc lays it out. The controller-less cgroup2 of a hybrid host is left out, as runc
 * does: mounting it took 14 ms of every create here, for a hierarchy with nothing to control.
 */
function planCgroupMount(destination: string, flags: number, layout: CgroupLayout): PlanOp[] {
  const names = flagNames(flags);
  const common = { propagation: 0, remountFlags: 0, createAs: CreateAs.DIR };
  if (layout.mode === 'v2') {
    return [ops.mount({ ...common, source: 'cgroup2', destination, type: 'cgroup2', data: '', flags, options: names })];
  }
  const plan: PlanOp[] = [
    ops.mount({ ...common, source: 'tmpfs', destination, type: 'tmpfs', data: 'mode=755', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, options: ['nosuid', 'nodev', 'noexec', 'mode=755'] }),
  ];
  for (const h of layout.v1) {
    plan.push(ops.mount({ ...common, source: 'cgroup', destination: posix.join(destination, h.dir), type: 'cgroup', data: h.options, flags, options: [...names, h.options] }));
    // A co-mounted hierarchy ("cpu,cpuacct") is also reachable under each controller's name.
    const controllers = h.dir.split(',');
    if (controllers.length > 1) for (const c of controllers) plan.push(ops.symlink(h.dir, posix.join(destination, c)));
  }
  if (flags & MS.RDONLY) plan.push(ops.remount(destination, MS.RDONLY, ['ro']));
  return plan;
}
