import { readFileSync, statfsSync } from 'node:fs';

const CGROUP2_SUPER_MAGIC = 0x63677270;

export type CgroupMode = 'v2' | 'hybrid' | 'v1';

/** One mounted v1 hierarchy: /sys/fs/cgroup/<dir>, mounted with <options> (e.g. "cpu,cpuacct"). */
export interface V1Hierarchy {
  dir: string;
  options: string;
}

export interface CgroupLayout {
  mode: CgroupMode;
  root: string;
  v1: V1Hierarchy[];
  /** The cgroup2 mount beside the v1 ones on a hybrid host ("unified"). */
  unifiedDir?: string;
}

/** Which cgroup setup this host has: statfs of the mount point tells v2 from the rest. */
export function detectCgroupLayout(root = '/sys/fs/cgroup', mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')): CgroupLayout {
  if (statfsSync(root).type === CGROUP2_SUPER_MAGIC) return { mode: 'v2', root, v1: [] };
  return parseV1Layout(root, mountinfo);
}

export function parseV1Layout(root: string, mountinfo: string): CgroupLayout {
  const v1: V1Hierarchy[] = [];
  let unifiedDir: string | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4];
    const [fstype, , superOptions = ''] = right.split(' ');
    if (!mountPoint?.startsWith(root + '/')) continue;
    const dir = mountPoint.slice(root.length + 1);
    if (dir.includes('/')) continue;
    if (fstype === 'cgroup2') unifiedDir = dir;
    if (fstype !== 'cgroup') continue;
    const options = superOptions
      .split(',')
      .filter((o) => o !== 'rw' && o !== 'ro')
      .join(',');
    v1.push({ dir, options });
  }
  return { mode: unifiedDir ? 'hybrid' : 'v1', root, v1, unifiedDir };
}
