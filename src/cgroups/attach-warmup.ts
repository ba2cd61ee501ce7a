/**
 * The kernel makes the first move of a process into a cgroup after a quiet spell wait for an RCU
 * grace period: cgroup_threadgroup_rwsem switches to its slow mode, 8-15 ms on a small idle host,
 * a third of a whole `keel run` (runc pays it too). Any move pays it, and moves in the grace period
 * that follows one are free. So `create`, `run` and `exec` start, at their very beginning and in
 * the background, a move of keel into the cgroup it is already in (which changes nothing); the
 * container's own move comes while keel is still loading and compiling, or just after.
 *
 * This is only a head start: if the move fails or comes too late, the container's move pays the
 * wait itself, as it would have anyway.
 */
import { close, openSync, readFileSync, write } from 'node:fs';

/**
 * The cgroup.procs files of keel's own cgroups that a no-op move can go through, best first: the
 * cgroup2 one (mounted at the root on a v2 host, at unified/ on a hybrid one), then the v1 ones.
 */
export function ownCgroupProcsFiles(procSelfCgroup: string, root = '/sys/fs/cgroup'): string[] {
  const files: string[] = [];
  for (const line of procSelfCgroup.split('\n')) {
    const [, controllers, path] = line.match(/^\d+:([^:]*):(\/.*)$/) ?? [];
    if (controllers === undefined || path === undefined) continue;
    const under = path === '/' ? '' : path;
    if (controllers === '') files.unshift(`${root}/unified${under}/cgroup.procs`, `${root}${under}/cgroup.procs`);
    else if (!controllers.startsWith('name=')) files.push(`${root}/${controllers}${under}/cgroup.procs`);
  }
  return files;
}

/**
 * Starts the no-op move in libuv's thread pool and returns at once; its outcome does not matter.
 * The file is opened here, so that the pool has a single step to run: the write, which waits in
 * the kernel, while keel's main thread is busy loading (a writeFile would wait for the main
 * thread between its open and its write).
 */
export function warmCgroupAttach(): void {
  let procSelfCgroup: string;
  try {
    procSelfCgroup = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return;
  }
  for (const file of ownCgroupProcsFiles(procSelfCgroup)) {
    let fd: number;
    try {
      fd = openSync(file, 'w');
    } catch {
      continue; // Not mounted there; the next one.
    }
    write(fd, String(process.pid), () => close(fd, () => {}));
    return;
  }
}
