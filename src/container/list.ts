import { readFileSync, statSync } from 'node:fs';

import type { StateStore } from '../state/store.js';
import { stateOutput, type StateOutput } from './state.js';

/**
 * Every container under the root; one that vanishes while being listed is skipped. As in runc,
 * the owner here is the user who owns the container's state directory.
 */
export function listContainers(store: StateStore): StateOutput[] {
  const out: StateOutput[] = [];
  const names = userNames();
  for (const id of store.ids()) {
    let record;
    let uid;
    try {
      record = store.read(id);
      uid = statSync(store.dir(id)).uid;
    } catch {
      continue;
    }
    out.push({ ...stateOutput(record, store.status(record)), owner: names.get(uid) ?? `#${uid}` });
  }
  return out;
}

function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid && !names.has(Number(uid))) names.set(Number(uid), name);
    }
  } catch {
    // No passwd file: owners are shown by number.
  }
  return names;
}

/** runc's table: each column as wide as its widest cell plus three spaces, and at least 12. */
export function formatTable(rows: StateOutput[]): string {
  const header = ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'];
  const cells = rows.map((r) => [r.id, String(r.pid), r.status, r.bundle, r.created, r.owner]);
  const widths = header.map((h, i) => Math.max(12, 3 + Math.max(h.length, ...cells.map((c) => c[i]!.length))));
  const line = (c: string[]) => c.map((cell, i) => (i === c.length - 1 ? cell : cell.padEnd(widths[i]!))).join('');
  return [line(header), ...cells.map(line)].join('\n') + '\n';
}
