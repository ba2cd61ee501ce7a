import { constants } from 'node:os';

import { KeelError } from '../util/errors.js';

const SIGNALS = constants.signals as Record<string, number>;

/** "TERM", "SIGTERM", "term" and "15" all name SIGTERM, as with runc. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n > 0 && n <= 64) return n;
  } else {
    const upper = text.toUpperCase();
    const number = SIGNALS[upper.startsWith('SIG') ? upper : `SIG${upper}`];
    if (number !== undefined) return number;
  }
  throw new KeelError(`unknown signal "${text}": use a name such as TERM or KILL, or a number from 1 to 64`);
}
