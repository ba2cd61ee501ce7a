import type { ContainerStatus } from '../spec/types.js';
import type { StateRecord } from './record.js';

export interface LiveFacts {
  initAlive: boolean;
  creatorAlive: boolean;
  fifoExists: boolean;
  frozen: boolean;
}

/**
 * A container's status is derived from what is true now, never stored: the init may have exited,
 * or the keel that was creating it may have been killed, since state.json was written. The facts
 * are read in this order and only as far as needed (StateStore.status looks each up on first use).
 */
export function deriveStatus(record: Pick<StateRecord, 'phase' | 'pid'>, facts: LiveFacts): ContainerStatus {
  if (record.phase === 'creating') return facts.creatorAlive ? 'creating' : 'stopped';
  if (!record.pid || !facts.initAlive) return 'stopped';
  if (facts.fifoExists) return 'created';
  if (facts.frozen) return 'paused';
  return 'running';
}
