import { containerCgroupOf, type ContainerCgroup } from '../cgroups/driver.js';
import { runHooksWarning } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { isSameLiveProcess } from '../util/proc.js';
import type { StateRecord } from '../state/record.js';
import { ContainerLock, NoSuchContainer, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { processesInPidNamespaceOf } from '../util/pid-namespace.js';
import { removeResctrl } from './resctrl.js';

const KILL_WAIT_MS = 10_000;

/**
 * `keel delete`: removes a stopped (or never started) container. With `force`, a running one is
 * killed first. Whatever the container made on the host goes with it; its mounts lived in its own
 * mount namespace and vanished with its last process. A container whose `create` was killed
 * half-way is "stopped" and is deleted like any other; its init, if it got that far, is killed.
 */
export async function deleteContainer(store: StateStore, id: string, force: boolean): Promise<void> {
  store.sweepAbandonedClaims(id);
  let lock: ContainerLock;
  try {
    lock = await ContainerLock.acquire(store, id);
  } catch (err) {
    // runc: deleting a container that is already gone with --force succeeds, so retries are safe.
    if (force && err instanceof NoSuchContainer) return;
    throw err;
  }
  try {
    let record: StateRecord;
    try {
      record = store.read(id);
    } catch (err) {
      if (!(err instanceof NoSuchContainer)) throw err;
      // A directory without state.json: what a delete killed half-way leaves. Finish its work.
      store.remove(id);
      return;
    }
    const status = store.status(record);
    if ((status === 'running' || status === 'paused' || status === 'creating') && !force) {
      throw new KeelError(`cannot delete container "${id}": it is ${status}; stop it first or use --force`);
    }
    const cgroup = containerCgroupOf(record);
    await killAndWait(record, cgroup);
    await cgroup.destroy();
    removeResctrl(record.resctrl);
    // poststop only for a container that was made: a create that failed half-way never started one.
    if (record.phase === 'created') await runHooksWarning('poststop', record.config.hooks?.poststop, hookState(record.config, id, record.bundle, 'stopped'));
    store.remove(id);
    log().debug(`container ${id} deleted`);
  } finally {
    lock.release();
  }
}

/** Kills the container's processes, if its init still lives (checked by start time: PIDs recycle). */
export async function killAndWait(record: StateRecord, cgroup: ContainerCgroup): Promise<void> {
  const pid = record.pid;
  const initAlive = pid !== undefined && isSameLiveProcess(pid, record.pidStartTime);
  // With its init, the container's PID namespace and all in it are gone; anything left in its
  // cgroups (a container without a PID namespace of its own) destroyCgroups finds and kills,
  // unless it is frozen and must be thawed first.
  if (!initAlive && !cgroup.isFrozen()) return;
  cgroup.killAll();
  // The init's PID namespace and the cgroup both know the container's processes (exec'd ones too).
  for (const target of new Set([...(initAlive ? processesInPidNamespaceOf(pid) : []), ...cgroup.pids()])) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  // A frozen process handles its SIGKILL only once thawed.
  if (cgroup.isFrozen()) await cgroup.setFrozen(false);
  if (!initAlive) return;
  const deadline = Date.now() + KILL_WAIT_MS;
  while (isSameLiveProcess(pid, record.pidStartTime)) {
    if (Date.now() > deadline) throw new KeelError(`container "${record.id}": process ${pid} did not die after SIGKILL within ${KILL_WAIT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
