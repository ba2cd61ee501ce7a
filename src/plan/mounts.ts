import { isAbsolute, posix, resolve } from 'node:path';

import type { CgroupLayout } from '../cgroups/layout.js';
import type { Mount } from '../spec/types.js';
import { CreateAs, MountCheck, ops, type PlanOp } from './ops.js';
import { MS, flagNames, parseMountOptions, type ParsedMountOptions } from './mount-options.js';
import type { ReportProblem } from '../spec/problem.js';
import type { IdmappedMount } from './idmap.js';

/** Destinations are container paths: made absolute and normalised ("a/../b" -> "/b"). */
export function containerPath(path: string): string {
  return posix.normalize(posix.join('/', path));
}

export interface MountContext {
  bundle: string;
  cgroups: CgroupLayout;
  /** The container's cgroup path, and whether it gets a cgroup namespace of its own. */
  cgroupPath: string;
  /**
   * Per hierarchy (its directory; "" on v2), the cgroup to bind instead of cgroupPath where the
   * container has none of its own there (rootless without delegation): keel's, which its init is in.
   */
  cgroupMountPaths?: Readonly<Record<string, string>>;
  cgroupNamespace: boolean;
  /** Whether a host path is a file or a directory (undefined: missing). Injected to keep this pure. */
  kindOf(path: string): 'file' | 'dir' | undefined;
  report: ReportProblem;
  /** linux.mountLabel as tmpfs data (context="..."), where SELinux is enabled. */
  tmpfsContext?: string;
  /** The id-mapped mounts, by index (planIdmappedMounts), made ready before the namespaces. */
  idmapped?: ReadonlyMap<number, IdmappedMount>;
}

/**
 * The /proc files a mount may cover (those lxcfs emulates), as with runc: a mount anywhere else in
 * /proc could hide what the kernel uses to confine the process (/proc/self/attr, /proc/sys/...).
 */
export const PROC_MOUNTABLE = ['/proc/cpuinfo', '/proc/diskstats', '/proc/meminfo', '/proc/stat', '/proc/swaps', '/proc/uptime', '/proc/loadavg', '/proc/slabinfo', '/proc/net/dev', '/proc/sys/kernel/ns_last_pid'];

/** The checks keel-init makes of the resolved destination; undefined (and a report) when the destination itself is refused. */
function destinationChecks(destination: string, type: string | undefined, index: number, report: ReportProblem): number | undefined {
  if (destination === '/proc') {
    if (type === 'proc') return MountCheck.NO_SYMLINKS;
    report(`/mounts/${index}/destination`, `only a proc filesystem may be mounted on /proc, not ${type ? `"${type}"` : 'a bind mount'}`);
    return undefined;
  }
  if (PROC_MOUNTABLE.includes(destination)) return 0;
  if (destination.startsWith('/proc/')) {
    report(`/mounts/${index}/destination`, `"${destination}" is inside /proc, where keel mounts only over ${PROC_MOUNTABLE.join(', ')}`);
    return undefined;
  }
  // A symlink in the image may still lead into /proc, and proc or sysfs must not land off their directory.
  return MountCheck.NOT_ON_PROCFS | (type === 'proc' || type === 'sysfs' ? MountCheck.NO_SYMLINKS : 0);
}

const BIND_CHANGEABLE = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME | MS.RELATIME | MS.STRICTATIME | MS.NOSYMFOLLOW;

export function planMount(mount: Mount, index: number, ctx: MountContext): PlanOp[] {
  const opts = parseMountOptions(mount.options);
  // An id-mapped mount that planIdmappedMounts refused (and reported) is not mounted at all.
  if ((opts.idmap.length || mount.uidMappings) && !ctx.idmapped?.has(index)) return [];
  const plan = planMountItself(mount, index, opts, ctx);
  const { set, clear, options } = opts.recursive;
  // The recursive options, once the mount (and the remount of a bind's own flags) is in place.
  if (plan.length && options.length) plan.push(ops.mountSetattr(containerPath(mount.destination), set, clear, options));
  return plan;
}

function planMountItself(mount: Mount, index: number, opts: ParsedMountOptions, ctx: MountContext): PlanOp[] {
  const destination = containerPath(mount.destination);
  const isBind = (opts.flags & MS.BIND) !== 0 || mount.type === 'bind';
  if (mount.type === 'cgroup' || mount.type === 'cgroup2') return planCgroupMount(destination, opts.flags, ctx);
  const checks = destinationChecks(destination, isBind ? undefined : mount.type, index, ctx.report);
  if (checks === undefined) return [];
  if (!isBind) {
    return [
      ops.mount({
        source: mount.source ?? mount.type ?? 'none',
        destination,
        type: mount.type ?? '',
        data: [...opts.data, ...(ctx.tmpfsContext && mount.type === 'tmpfs' ? [ctx.tmpfsContext] : [])].join(','),
        flags: opts.flags,
        propagation: opts.propagation,
        remountFlags: 0,
        createAs: CreateAs.DIR,
        checks,
        options: mount.options ?? [],
        copyUp: opts.copyUp && mount.type === 'tmpfs',
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
  const idmapped = ctx.idmapped?.get(index);
  if (idmapped) {
    return [ops.mountIdmapped({ slot: idmapped.slot, source, destination, createAs: kind === 'file' ? CreateAs.FILE : CreateAs.DIR, checks, propagation: opts.propagation, options: mount.options ?? [] })];
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
      // "rw" does not undo a read-only source: a bind never makes writable what its source is not.
      remountClear: opts.cleared & BIND_CHANGEABLE & ~MS.RDONLY,
      createAs: kind === 'file' ? CreateAs.FILE : CreateAs.DIR,
      checks,
      options: mount.options ?? [],
    }),
  ];
}

/**
 * The cgroup filesystem as the host has it. On v2, one cgroup2 mount. On v1 and hybrid hosts, a
 * tmpfs with one mount per v1 hierarchy, as runc lays it out. In a cgroup namespace a cgroup
 * mount shows the container's own cgroup as its root; without one it would show the host's whole
 * tree, so the container's own directory is bind-mounted instead (it exists by then: keel makes it
 * at the cgroup sync point, before any mount). The controller-less cgroup2 of a hybrid host is left
 * out, as runc does: mounting it took 14 ms of every create here, for nothing to control.
 */
function planCgroupMount(destination: string, flags: number, ctx: MountContext): PlanOp[] {
  const layout = ctx.cgroups;
  const names = flagNames(flags);
  const common = { propagation: 0, remountFlags: 0, createAs: CreateAs.DIR };
  const own = (hierarchy: string, to: string) =>
    ops.mount({ ...common, source: posix.join(layout.root, hierarchy, ctx.cgroupMountPaths?.[hierarchy] ?? ctx.cgroupPath), destination: to, type: '', data: '', flags: MS.BIND, remountFlags: flags & BIND_CHANGEABLE, options: ['bind', ...names] });
  if (layout.mode === 'v2') {
    if (!ctx.cgroupNamespace) return [own('', destination)];
    return [ops.mount({ ...common, source: 'cgroup2', destination, type: 'cgroup2', data: '', flags, options: names })];
  }
  const plan: PlanOp[] = [
    ops.mount({ ...common, source: 'tmpfs', destination, type: 'tmpfs', data: 'mode=755', flags: MS.NOSUID | MS.NODEV | MS.NOEXEC, options: ['nosuid', 'nodev', 'noexec', 'mode=755'] }),
  ];
  for (const h of layout.v1) {
    const to = posix.join(destination, h.dir);
    plan.push(ctx.cgroupNamespace ? ops.mount({ ...common, source: 'cgroup', destination: to, type: 'cgroup', data: h.options, flags, options: [...names, h.options] }) : own(h.dir, to));
    // A co-mounted hierarchy ("cpu,cpuacct") is also reachable under each controller's name.
    const controllers = h.dir.split(',');
    if (controllers.length > 1) for (const c of controllers) plan.push(ops.symlink(h.dir, posix.join(destination, c)));
  }
  if (flags & MS.RDONLY) plan.push(ops.remount(destination, MS.RDONLY, ['ro']));
  return plan;
}
