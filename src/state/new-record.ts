/**
 * The state.json of a container about to be made, by `create` or by `restore`: phase `creating`,
 * naming the keel that makes it (pid and start time), so that a keel that dies half-way leaves a
 * record `state` reports as stopped and `delete` can undo.
 */
import type { Spec } from '../spec/types.js';
import { SPEC_VERSION } from '../spec/version.js';
import { readProcStat } from '../util/proc.js';
import type { StateRecord } from './record.js';

export interface NewRecordFacts {
  id: string;
  bundle: string;
  rootfs: string;
  spec: Spec;
  cgroupDriver: StateRecord['cgroupDriver'];
}

export function creatingRecord(facts: NewRecordFacts, extra: Partial<StateRecord> = {}): StateRecord {
  const self = readProcStat(process.pid)!;
  return {
    ociVersion: SPEC_VERSION,
    id: facts.id,
    creatorPid: process.pid,
    creatorStartTime: self.startTime,
    phase: 'creating',
    bundle: facts.bundle,
    rootfs: facts.rootfs,
    created: new Date().toISOString(),
    owner: '',
    annotations: facts.spec.annotations,
    config: facts.spec,
    cgroupDriver: facts.cgroupDriver,
    ...extra,
  };
}
