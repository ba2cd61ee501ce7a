import { containerCgroupOf } from '../cgroups/driver.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';

/** `keel pause` / `keel resume`: freeze or thaw every process of the container through its cgroup. */
export async function setPaused(store: StateStore, id: string, paused: boolean): Promise<void> {
  const lock = await ContainerLock.acquire(store, id);
  try {
    const record = store.read(id);
    const status = store.status(record);
    const expected = paused ? 'running' : 'paused';
    if (status !== expected) throw new KeelError(`cannot ${paused ? 'pause' : 'resume'} container "${id}": it is ${status}, not ${expected}`);
    await containerCgroupOf(record).setFrozen(paused);
  } finally {
    lock.release();
  }
}
