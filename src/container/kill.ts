import { constants } from 'node:os';

import { containerCgroupOf } from '../cgroups/driver.js';
import type { StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { processesInPidNamespaceOf } from '../util/pid-namespace.js';

/** `keel kill`: a signal to the init, or with `all` to every process of the container. */
export async function killContainer(store: StateStore, id: string, signal: number, all: boolean): Promise<void> {
  const record = store.read(id);
  const status = store.status(record);
  const cgroup = containerCgroupOf(record);
  // cgroup.kill first where there is one: no process can fork its way past it.
  if (all && signal === constants.signals.SIGKILL && status !== 'creating') cgroup.killAll();
  if (all && status === 'stopped') {
    // As runc: what outlived the init (a container sharing the host's PID namespace keeps its
    // children) still gets the signal. containerd's shim sends exactly this when such an init exits.
    signalEach(cgroup.pids(), signal);
    return;
  }
  if (status === 'stopped' || status === 'creating' || record.pid === undefined) {
    // "container not running" is runc's wording, which containerd's shim matches to tell a
    // container that has already exited from a failed kill.
    throw new KeelError(`cannot kill container "${id}": ${status === 'creating' ? 'it is still being created' : 'container not running'}`);
  }
  // Every process of the container: its cgroup knows them all; its PID namespace, when it has one.
  const targets = all ? [...new Set([...cgroup.pids(), ...processesInPidNamespaceOf(record.pid)])] : [record.pid];
  signalEach(targets, signal);
  // A frozen process acts on SIGKILL only once thawed. As runc does, a paused container that is
  // killed is thawed, so that the engine's "kill, then delete" finds it stopped.
  if (signal === constants.signals.SIGKILL && status === 'paused') await cgroup.setFrozen(false);
}

function signalEach(targets: number[], signal: number): void {
  for (const pid of targets) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      // A process of the container that exits meanwhile is not an error.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
    }
  }
}
