/** `keel ps` and `keel update`: the container's processes and its limits, through its cgroups. */
import { execFileSync } from 'node:child_process';

import { containerCgroupOf } from '../cgroups/driver.js';
import { managedCgroupOf } from '../cgroups/select-driver.js';
import { mergeResources } from '../cgroups/resources.js';
import type { LinuxResources } from '../spec/types.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';

/** The PIDs in the container's cgroup, as runc's `ps --format json` prints them. */
export function containerPids(store: StateStore, id: string): number[] {
  return containerCgroupOf(store.readLive(id, 'list the processes of')).pids().sort((a, b) => a - b);
}

/** runc's table form: the host's `ps` output (with the given options), only the container's rows. */
export function psTable(pids: readonly number[], psArgs: string[]): string {
  const out = execFileSync('ps', psArgs.length ? psArgs : ['-ef'], { encoding: 'utf8' });
  const [header, ...rows] = out.split('\n');
  const pidColumn = header!.trim().split(/\s+/).indexOf('PID');
  if (pidColumn < 0) throw new KeelError(`ps ${psArgs.join(' ')}: its output has no PID column to find the container's processes by`);
  const wanted = new Set(pids.map(String));
  return [header, ...rows.filter((row) => wanted.has(row.trim().split(/\s+/)[pidColumn]!))].join('\n') + '\n';
}

/** `keel update`: new limits written to the running container's cgroups. */
export async function updateContainer(store: StateStore, id: string, resources: LinuxResources): Promise<void> {
  const lock = await ContainerLock.acquire(store, id);
  try {
    const record = store.readLive(id, 'update');
    const linux = (record.config.linux ??= {});
    const merged = mergeResources(linux.resources ?? {}, resources);
    await managedCgroupOf(record).update(resources, merged);
    linux.resources = merged;
    store.write(record);
  } finally {
    lock.release();
  }
}
