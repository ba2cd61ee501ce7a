import type { StateStore } from '../state/store.js';
import { stateOutput, type StateOutput } from './state.js';

/** Every container under the root; one that vanishes while being listed is skipped. */
export function listContainers(store: StateStore): StateOutput[] {
  const out: StateOutput[] = [];
  for (const id of store.ids()) {
    let record;
    try {
      record = store.read(id);
    } catch {
      continue;
    }
    out.push(stateOutput(record, store.status(record)));
  }
  return out;
}

/** runc's table: columns padded to the widest cell plus three spaces. */
export function formatTable(rows: StateOutput[]): string {
  const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const cells = rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]! + 3))).join('');
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}
