import type { ContainerStatus } from '../spec/types.js';
import type { StateRecord } from '../state/record.js';
import type { StateStore } from '../state/store.js';

/** The state as runc prints it (`runc state`, `runc list --format json`). */
export interface StateOutput {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

export function stateOutput(record: StateRecord, status: ContainerStatus): StateOutput {
  const out: StateOutput = {
    ociVersion: record.ociVersion,
    id: record.id,
    // runc reports pid 0 once the container has stopped; engines rely on that.
    pid: status === 'stopped' || status === 'creating' ? 0 : (record.pid ?? 0),
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner: record.owner,
  };
  if (record.annotations && Object.keys(record.annotations).length) out.annotations = record.annotations;
  return out;
}

export function containerState(store: StateStore, id: string): StateOutput {
  const record = store.read(id);
  return stateOutput(record, store.status(record));
}
