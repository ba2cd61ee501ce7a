import { statSync, statfsSync } from 'node:fs';

import { detectCgroupLayout } from '../cgroups/layout.js';
import { readLsmFacts } from './lsm.js';
import { canRaiseHardLimits, ownHardLimit } from './limits.js';
import type { HostFacts } from '../plan/compile.js';
import type { LinuxNamespaceType } from '../spec/types.js';

const RAMFS_MAGIC = 0x858458f6;

/** What the plan compiler needs to know about this host, read once per create. */
export function readHostFacts(rootfs: string): HostFacts {
  const limited = !canRaiseHardLimits();
  return {
    rlimitCeiling: (name) => (limited ? ownHardLimit(name) : undefined),
    cgroups: detectCgroupLayout(),
    rootfsIsRamfs: isRamfs(rootfs),
    lsm: readLsmFacts(),
    isKeelNamespace,
    kindOf(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return undefined;
      }
    },
  };
}

const NS_FILES: Record<LinuxNamespaceType, string> = { user: 'user', ipc: 'ipc', uts: 'uts', network: 'net', pid: 'pid', cgroup: 'cgroup', time: 'time', mount: 'mnt' };

/**
 * Whether a namespace file is keel's own namespace of that type: the same nsfs inode as
 * /proc/self/ns/<type>, whatever the path ("/proc/self/ns/net", "/proc/1/ns/net", a bind mount).
 * A path that cannot be looked at is not keel's own (joining it fails later, naming the path).
 */
function isKeelNamespace(type: LinuxNamespaceType, path: string): boolean {
  try {
    const theirs = statSync(path, { bigint: true });
    const ours = statSync(`/proc/self/ns/${NS_FILES[type]}`, { bigint: true });
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false;
  }
}

/** A rootfs that cannot be looked at is reported elsewhere (checkBundle); here it is just not ramfs. */
function isRamfs(path: string): boolean {
  try {
    return statfsSync(path).type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}
