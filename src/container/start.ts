import { closeSync, constants, openSync, unlinkSync, writeSync } from 'node:fs';

import { runHooksWarning } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError, errnoCode } from '../util/errors.js';
import { log } from '../util/log.js';

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
    runHooksWarning('poststart', record.config.hooks?.poststart, hookState(record.config, id, record.bundle, 'running', record.pid));
  } finally {
    lock.release();
  }
}
