/** The processes of a PID namespace, found through /proc (for a container's, when keel has no cgroup to ask). */
import { readdirSync, readlinkSync } from 'node:fs';

/** Every process that shares the PID namespace of `pid` (the container's, when it has its own). */
export function processesInPidNamespaceOf(pid: number): number[] {
  const target = pidNamespace(pid);
  // A container in keel's own PID namespace cannot be told apart this way: only its init is hit.
  if (!target || target === pidNamespace(process.pid)) return [pid];
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if (pidNamespace(Number(entry)) === target) found.push(Number(entry));
  }
  return found;
}

function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}
