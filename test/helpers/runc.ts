/** runc, run the same way as keel in test/helpers/keel.ts, to compare the two on one config. */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runToCompletion, type KeelResult, type RunOptions } from './keel.js';

export const RUNC = '/usr/sbin/runc';

export class RuncRoot {
  readonly root: string;

  constructor() {
    if (!existsSync(RUNC)) throw new Error(`${RUNC} is missing: run "make test" (it installs runc)`);
    this.root = mkdtempSync(join(tmpdir(), 'runc-root-'));
  }

  run(args: string[], opts: RunOptions = {}): KeelResult {
    return runToCompletion(RUNC, ['--root', this.root, ...args], this.root, opts);
  }

  containers(): string[] {
    return existsSync(this.root) ? readdirSync(this.root).filter((name) => !name.startsWith('.')) : [];
  }

  cleanup(): void {
    for (const id of this.containers()) this.run(['delete', '--force', id]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
