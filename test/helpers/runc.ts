/** runc, run the same way as keel in test/helpers/keel.ts, to compare the two on one config. */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CLEAN_ENV, type KeelResult } from './keel.js';

export const RUNC = '/usr/sbin/runc';

export class RuncRoot {
  readonly root: string;

  constructor() {
    if (!existsSync(RUNC)) throw new Error(`${RUNC} is missing: run "make test" (it installs runc)`);
    this.root = mkdtempSync(join(tmpdir(), 'runc-root-'));
  }

  /** Output goes to files, never pipes (a container inherits runc's stdio). */
  run(args: string[], opts: { timeout?: number } = {}): KeelResult {
    const out = join(this.root, `.out-${process.pid}`);
    const err = join(this.root, `.err-${process.pid}`);
    const fds = [openSync(out, 'w'), openSync(err, 'w')];
    try {
      const r = spawnSync(RUNC, ['--root', this.root, ...args], { env: CLEAN_ENV, timeout: opts.timeout ?? 20_000, stdio: ['ignore', fds[0], fds[1]] });
      if (r.error) throw r.error;
      return { code: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
      rmSync(out, { force: true });
      rmSync(err, { force: true });
    }
  }

  containers(): string[] {
    return existsSync(this.root) ? readdirSync(this.root).filter((name) => !name.startsWith('.')) : [];
  }

  cleanup(): void {
    for (const id of this.containers()) this.run(['delete', '--force', id]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
