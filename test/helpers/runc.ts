/** runc, run the same way as keel in test/helpers/keel.ts, to compare the two on one config. */
import { existsSync } from 'node:fs';

import { KeelRoot } from './keel.js';

export const RUNC = '/usr/sbin/runc';

export class RuncRoot extends KeelRoot {
  constructor() {
    if (!existsSync(RUNC)) throw new Error(`${RUNC} is missing: run "make test" (it installs runc)`);
    super(RUNC);
  }
}
