import { statSync } from 'node:fs';

import type { LinuxNamespaceType } from '../spec/types.js';

/** The name of each namespace type's file under /proc/<pid>/ns. */
export const NS_FILES: Readonly<Record<LinuxNamespaceType, string>> = {
  user: 'user',
  ipc: 'ipc',
  uts: 'uts',
  network: 'net',
  pid: 'pid',
  cgroup: 'cgroup',
  time: 'time',
  mount: 'mnt',
};

/**
 * Whether a namespace file is keel's own namespace of that type (the host's, for a keel run by an
 * engine): the same nsfs inode as /proc/self/ns/<type>, whatever the path ("/proc/self/ns/net",
 * "/proc/1/ns/net", a bind mount). A path that cannot be looked at is not keel's own: joining it
 * fails later, naming the path.
 */
export function isKeelNamespace(type: LinuxNamespaceType, path: string): boolean {
  try {
    const theirs = statSync(path, { bigint: true });
    const ours = statSync(`/proc/self/ns/${NS_FILES[type]}`, { bigint: true });
    return theirs.dev === ours.dev && theirs.ino === ours.ino;
  } catch {
    return false;
  }
}
