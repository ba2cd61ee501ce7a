import { closeSync, constants, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';

import { containerCgroupOf } from '../cgroups/driver.js';
import { runHooks } from '../hooks/run.js';
import { hookState, hookTimeout } from '../hooks/state.js';
import type { StateRecord } from '../state/record.js';
import { isSameLiveProcess } from '../util/proc.js';
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
    const hooks = record.config.hooks;
    // With hooks of start's own, start lasts until the program runs (see untilProgramRuns); the
    // fifo's read end, opened first, then holds what keel-init reports.
    const reader = hooks?.startContainer?.length || hooks?.poststart?.length ? openSync(store.fifoPath(id), constants.O_RDONLY | constants.O_NONBLOCK) : undefined;
    try {
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
      if (reader !== undefined) await untilProgramRuns(record, reader);
    } finally {
      if (reader !== undefined) closeSync(reader);
    }
    // runtime.md, lifecycle step 9: a failing poststart hook is an error, and the container is
    // stopped; `delete` then destroys it and runs the poststop hooks (steps 12 and 13).
    const failure = await runHooks('poststart', hooks?.poststart, hookState(record.config, id, record.bundle, 'running', record.pid));
    if (failure) {
      await killAndWait(record, containerCgroupOf(record));
      throw new KeelError(`${failure}: container "${id}" was stopped (keel delete removes it and runs its poststop hooks)`);
    }
  } finally {
    lock.release();
  }
}

/** How long start waits for the program beyond the startContainer hooks' own timeouts. */
const EXEC_WAIT_MS = 10_000;

/**
 * The startContainer hooks are part of `start`, and the poststart hooks run once the user's
 * program runs (config.md), so start waits until keel-init has exec'd it (its command name is no
 * longer keel-init's) or is gone. keel-init keeps the fifo open until execve and writes 'F' to it
 * when it fails after start (a startContainer hook, the exec): then the program never ran. The
 * wait is bounded by the startContainer hooks' timeouts and EXEC_WAIT_MS; past that, a warning.
 */
async function untilProgramRuns(record: StateRecord, reader: number): Promise<void> {
  const pid = record.pid!;
  const hooksMs = (record.config.hooks?.startContainer ?? []).reduce((sum, h) => sum + hookTimeout(h) * 1000, 0);
  const deadline = Date.now() + hooksMs + EXEC_WAIT_MS;
  for (;;) {
    if (!isSameLiveProcess(pid, record.pidStartTime)) break;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      break; // gone
    }
    if (comm !== KEEL_INIT_COMM) return;
    if (Date.now() > deadline) {
      log().warn(`container "${record.id}": its program has not started after ${Math.round((hooksMs + EXEC_WAIT_MS) / 1000)} s (a startContainer hook without a timeout may still run); start returns without waiting for it`);
      return;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  // keel-init is gone: it either exec'd the program, which has already exited, or failed.
  const buf = Buffer.alloc(16);
  let n = 0;
  try {
    n = readSync(reader, buf);
  } catch {
    // EAGAIN: nothing there.
  }
  if (buf.subarray(0, n).includes('F')) {
    throw new KeelError(`container "${record.id}" stopped before its program ran: a startContainer hook or the program's exec failed (the reason is on the container's stderr)`);
  }
}

/** keel-init runs from a memfd named keel-init (native/lib/libkeel.c, keel_sealed_copy). */
const KEEL_INIT_COMM = 'memfd:keel-init';
