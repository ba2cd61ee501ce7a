import { readFileSync, statSync, statfsSync } from 'node:fs';

import type { CgroupLayout } from '../cgroups/layout.js';
import { readLsmFacts } from './lsm.js';
import { canRaiseHardLimits, ownHardLimit } from './limits.js';
import { isKeelNamespace } from './namespaces.js';
import { inInitialUserNamespace, processRootlessFacts } from './rootless.js';
import type { HostFacts } from '../plan/compile.js';
import { parseIdList } from '../plan/cpu-list.js';

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
    memoryNodes: readMemoryNodes(),
    resctrlMounted: isResctrl('/sys/fs/resctrl'),
    keelInUserNamespace: !inInitialUserNamespace(processRootlessFacts().uidMap),
    kindOf(path) {
      try {
        return statSync(path).isDirectory() ? 'dir' : 'file';
      } catch {
        return undefined;
      }
    },
  };
}

const RDTGROUP_SUPER_MAGIC = 0x7655821;

export function isResctrl(path: string): boolean {
  try {
    return statfsSync(path).type === RDTGROUP_SUPER_MAGIC;
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

/** The memory nodes the kernel has online; undefined on a kernel without NUMA support. */
export function readMemoryNodes(): number[] | undefined {
  try {
    const nodes = parseIdList(readFileSync('/sys/devices/system/node/online', 'utf8'));
    return typeof nodes === 'string' ? undefined : nodes;
  } catch {
    return undefined;
  }
}
