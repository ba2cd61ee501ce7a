import { statSync, statfsSync } from 'node:fs';

import type { CgroupLayout } from '../cgroups/layout.js';
import { readLsmFacts } from './lsm.js';
import { canRaiseHardLimits, ownHardLimit } from './limits.js';
import { isKeelNamespace } from './namespaces.js';
import type { HostFacts } from '../plan/compile.js';

const RAMFS_MAGIC = 0x858458f6;

/** What the plan compiler needs to know about this host, read once per create; the cgroup layout is the cgroup driver's. */
export function readHostFacts(rootfs: string, cgroups: CgroupLayout): HostFacts {
  const limited = !canRaiseHardLimits();
  return {
    rlimitCeiling: (name) => (limited ? ownHardLimit(name) : undefined),
    cgroups,
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

/** A rootfs that cannot be looked at is reported elsewhere (checkBundle); here it is just not ramfs. */
function isRamfs(path: string): boolean {
  try {
    return statfsSync(path).type === RAMFS_MAGIC;
  } catch {
    return false;
  }
}
