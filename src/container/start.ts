import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';

import { hookState, runHooks } from '../hooks/run.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError, errnoCode } from '../util/errors.js';
import { log } from '../util/log.js';
import { killAndWait } from './delete.js';

const WRONG_STATE: Record<string, string> = {
  creating: 'is still being created',
  running: 'is already running',
  paused: 'is paused',
  stopped: 'has stopped',
};

/** `keel start`: one byte into the exec fifo lets the waiting init exec the user's process. */
export async function startContainer(store: StateStore, id: string): Promise<void> {
  const lock = await ContainerLock.acquire(store, id);
  try {
    const record = store.read(id);
    const status = store.status(record);
    if (status !== 'created') throw new KeelError(`cannot start container "${id}": it ${WRONG_STATE[status] ?? status}`);
    let fd: number;
    try {
      fd = openSync(store.fifoPath(id), constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if (errnoCode(err) === 'ENXIO') throw new KeelError(`cannot start container "${id}": its init is no longer waiting (it has exited)`);
      throw err;
    }
    try {
      writeSync(fd, '0');
    } finally {
      closeSync(fd);
    }
    unlinkSync(store.fifoPath(id));
    log().debug(`container ${id} started`);
    // runtime.md, lifecycle step 9: a failing poststart hook is an error, and the container is
    // stopped; `delete` then destroys it and runs the poststop hooks (steps 12 and 13).
    const failure = await runHooks('poststart', record.config.hooks?.poststart, hookState(record.config, id, record.bundle, 'running', record.pid));
    if (failure) {
      await killAndWait(record);
      throw new KeelError(`${failure}: container "${id}" was stopped (keel delete removes it and runs its poststop hooks)`);
    }
  } finally {
    lock.release();
  }
}
