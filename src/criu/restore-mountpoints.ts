/**
 * The mount points a restore makes before CRIU runs, as runc 1.1 does (prepareCriuRestoreMounts):
 * CRIU mounts onto them and does not make them. A restore into the container's own rootfs finds
 * them made by its create; a new container from an exported checkpoint (podman container restore
 * --import) has a fresh rootfs without them, and CRIU failed "Can't stat mountpoint". Pure: which
 * ones, and where each is made.
 */
import { isAbsolute, posix, resolve } from 'node:path';

import { containerPath } from '../plan/mounts.js';
import type { Mount } from '../spec/types.js';
import { isBindMount } from './dump-request.js';

export interface RestoreMountpoint {
  /** The host directory `path` is made in, taken as "/": the rootfs, or the source of the bind the mount point lies in. */
  root: string;
  /** Absolute, under `root`. */
  path: string;
  /** A file (a bind of a file), else a directory. */
  asFile: boolean;
  /** The config's destination, for messages. */
  destination: string;
}

/**
 * One entry per mount whose point must exist, in the config's order. Left out: cgroup mounts (the
 * point comes with /sys), anything below a tmpfs (CRIU restores a tmpfs's files, mount points
 * included) and anything below a mount that is neither a bind nor a tmpfs (proc, sysfs, devpts:
 * the filesystem has its own points). A point below a bind is made in the bind's source, where
 * runc makes it through a temporary bind.
 */
export function restoreMountpoints(mounts: readonly Mount[], bundle: string, rootfs: string, kindOf: (path: string) => 'file' | 'dir' | undefined): RestoreMountpoint[] {
  const sourceOf = (m: Mount) => (isAbsolute(m.source ?? '') ? m.source! : resolve(bundle, m.source ?? ''));
  const destinations = mounts.map((m) => containerPath(m.destination));
  const below = (path: string, dir: string) => dir === '/' || path.startsWith(`${dir}/`);
  const out: RestoreMountpoint[] = [];
  mounts.forEach((m, i) => {
    const destination = destinations[i]!;
    if (destination === '/' || m.type === 'cgroup' || m.type === 'cgroup2') return;
    if (mounts.some((t, j) => t.type === 'tmpfs' && j !== i && below(destination, destinations[j]!))) return;
    const enclosing = mounts.findLastIndex((_, j) => j < i && destinations[j] !== destination && below(destination, destinations[j]!));
    const bind = isBindMount(m);
    const asFile = bind && kindOf(sourceOf(m)) === 'file';
    if (enclosing < 0) {
      out.push({ root: rootfs, path: destination, asFile, destination });
    } else if (isBindMount(mounts[enclosing]!)) {
      out.push({ root: sourceOf(mounts[enclosing]!), path: posix.join('/', posix.relative(destinations[enclosing]!, destination)), asFile, destination });
    }
  });
  return out;
}
