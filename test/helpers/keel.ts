/** Runs the built keel binary the way an engine would: a separate process, a private --root. */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KEEL = join(new URL('../..', import.meta.url).pathname, 'dist/keel');

/** A clean environment: NODE_EXTRA_CA_CERTS and friends cost time and say nothing about keel. */
export const CLEAN_ENV = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };

export interface KeelResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function requireRootAndBuild(): void {
  if (process.getuid?.() !== 0) throw new Error('integration tests need root: run them with "make test" as root');
  if (!existsSync(KEEL)) throw new Error(`${KEEL} is missing: run "make" first`);
}

export interface RunOptions {
  input?: string;
  cwd?: string;
  timeout?: number;
  /** The runtime's environment (default: CLEAN_ENV). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a runtime (keel or runc) to completion. Its stdout and stderr are files in `scratch`, not
 * pipes: a container inherits its runtime's stdio (as engines expect), so a pipe would stay open
 * for as long as the container runs.
 */
export function runToCompletion(binary: string, argv: string[], scratch: string, opts: RunOptions = {}): KeelResult {
  const out = join(scratch, `.out-${process.pid}`);
  const err = join(scratch, `.err-${process.pid}`);
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(binary, argv, {
      env: opts.env ?? CLEAN_ENV,
      input: opts.input,
      cwd: opts.cwd,
      timeout: opts.timeout ?? 20_000,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', fds[0], fds[1]],
    });
    if (r.error) throw r.error;
    return { code: r.status ?? 128, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    fds.forEach((fd) => closeSync(fd));
    rmSync(out, { force: true });
    rmSync(err, { force: true });
  }
}

export class KeelRoot {
  readonly root = mkdtempSync(join(tmpdir(), 'keel-root-'));

  /** `binary` speaks runc's command line: keel by default, or runc itself to compare with. */
  constructor(readonly binary: string = KEEL) {}

  /**
   * Runs keel to completion. Its stdout and stderr are files, not pipes: a container inherits
   * keel's stdio (as engines expect), so a pipe would stay open for as long as the container runs.
   */
  run(args: string[], opts: RunOptions = {}): KeelResult {
    return runToCompletion(this.binary, ['--root', this.root, ...args], this.root, opts);
  }

  /** Like run, but throws with keel's stderr when it fails. */
  ok(args: string[], opts: { input?: string; cwd?: string } = {}): string {
    const r = this.run(args, opts);
    if (r.code !== 0) throw new Error(`${this.binary} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** Starts keel in the background (for signals and concurrency tests). */
  spawn(args: string[]) {
    return spawn(this.binary, ['--root', this.root, ...args], { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  containers(): string[] {
    return existsSync(this.root) ? readdirSync(this.root).filter((name) => !name.startsWith('.')) : [];
  }

  /** Force-deletes whatever a test left, then removes the root. */
  cleanup(): void {
    for (const id of this.containers()) this.run(['delete', '--force', id]);
    rmSync(this.root, { recursive: true, force: true });
  }
}
