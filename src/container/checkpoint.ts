/**
 * `keel checkpoint`: CRIU saves a running container's processes into image files. Everything that
 * can refuse (the flags, the container's status, CRIU itself) refuses before the host changes.
 */
import { checkCriu } from '../criu/check.js';
import type { CheckpointOptions } from '../criu/options.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';

export async function checkpointContainer(store: StateStore, id: string, opts: CheckpointOptions, criuBinary?: string): Promise<void> {
  const lock = await ContainerLock.acquire(store, id);
  try {
    const record = store.read(id);
    const status = store.status(record);
    // runc's rule: a created container has no program to save yet, a stopped one nothing at all.
    if (status !== 'running' && status !== 'paused') throw new KeelError(`cannot checkpoint container "${id}": it is ${status}, not running`);
    const criu = checkCriu(criuBinary);
    if (!criu.ready) throw new KeelError(`cannot checkpoint container "${id}": ${criu.reason}`);
    throw new KeelError(`cannot checkpoint container "${id}" into ${opts.imagesDir}: keel does not drive CRIU yet (issue #18); the container is left running`);
  } finally {
    lock.release();
  }
}
