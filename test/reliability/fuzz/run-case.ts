/**
 * Runs one hostile config with `keel run` and judges it: keel either works or fails with its one
 * line ("keel: ..."), never an internal error or a stack, never a hang; nothing outside the
 * bundle is touched (the canary directory keeps its content, mtimes and entries; no file named
 * like MARK appears in the host's /, /etc, /dev or /tmp); nothing is left behind.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

import { makeBundle } from '../../helpers/bundle.js';
import { eventually, mountsMentioning } from '../../helpers/host.js';
import { CLEAN_ENV, KEEL, type KeelRoot } from '../../helpers/keel.js';
import { diffSnapshots, snapshotHost } from '../host-snapshot.js';
import { MARK, type FuzzCase } from './mutate.js';

const RUN_TIMEOUT_MS = 20_000;

/** A directory of the host that hostile paths aim at; any change to it is an escape. */
export class Canary {
  readonly dir = mkdtempSync(join(tmpdir(), 'keel-fuzz-canary-'));
  private readonly before: string;

  constructor() {
    writeFileSync(join(this.dir, 'canary'), 'the host must not be touched\n');
    mkdirSync(join(this.dir, 'sub'));
    writeFileSync(join(this.dir, 'sub', 'canary'), 'nor here\n');
    this.before = this.fingerprint();
  }

  /** Content, mode and mtime of every entry, and the directory's own mtime. */
  private fingerprint(): string {
    const lines: string[] = [];
    const visit = (path: string) => {
      const st = statSync(path);
      lines.push(`${path} ${st.mode} ${st.mtimeMs} ${st.isFile() ? readFileSync(path, 'utf8') : ''}`);
      if (st.isDirectory()) for (const name of readdirSync(path).sort()) visit(join(path, name));
    };
    visit(this.dir);
    return lines.join('\n');
  }

  touched(): boolean {
    return this.fingerprint() !== this.before;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface CaseContext {
  keel: KeelRoot;
  canary: Canary;
  /** Tags every id of this lane (for the leak check). */
  idTag: string;
  /** Counts outcomes ("exit 0", "exit 1", ...), to show what the cases exercised. */
  outcomes?: Map<string, number>;
}

const HOST_DIRS_FOR_MARKS = ['/', '/etc', '/dev', '/tmp'];

/** Entries of the host's top directories named like something the case makes (MARK, or a planted link). */
function hostMarks(c: FuzzCase): string[] {
  const names = new Set(c.plants.map((p) => basename(p.path)));
  const found: string[] = [];
  for (const dir of HOST_DIRS_FOR_MARKS) {
    try {
      for (const name of readdirSync(dir)) if (name.includes(MARK) || names.has(name)) found.push(join(dir, name));
    } catch {
      // Not readable here: nothing to compare.
    }
  }
  return found;
}

/**
 * Puts a symlink at `path` inside the rootfs, replacing what is there. The test itself must not
 * follow the hostile links it plants: when a parent of `path` is already a symlink (an earlier
 * plant made "dev" point at the host's /dev), this plant is left out rather than made through it.
 */
function plantSymlink(rootfs: string, path: string, target: string): void {
  const parts = path.split('/').filter(Boolean);
  let dir = rootfs;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    const st = lstatSync(dir, { throwIfNoEntry: false });
    if (st?.isSymbolicLink()) return;
    if (!st) mkdirSync(dir);
  }
  const at = join(dir, parts.at(-1)!);
  rmSync(at, { recursive: true, force: true });
  symlinkSync(target, at);
}

/** The config text as keel will read it, with placeholders filled in. */
export function configText(c: FuzzCase, canary: string): string {
  const corePattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trimEnd();
  return JSON.stringify(c.config)
    .replaceAll('@CANARY@', canary)
    .replaceAll('@CORE_PATTERN@', JSON.stringify(corePattern).slice(1, -1))
    .replace(/"@DEEP:(\d+)@"/g, (_, n: string) => '['.repeat(Number(n)) + ']'.repeat(Number(n)))
    .replace(/"@RANGE:(\d+)@"/g, (_, n: string) => JSON.stringify(Array.from({ length: Number(n) }, (_, i) => i)))
    .replace(/"@STRING:(\d+)@"/g, (_, n: string) => `"${'A'.repeat(Number(n))}"`);
}

function judgeOutput(c: FuzzCase, code: number | null, signal: string | null, stderr: string, timedOut: boolean): string[] {
  if (timedOut) return [`keel did not finish within ${RUN_TIMEOUT_MS / 1000} s`];
  if (signal) return [`keel was killed by ${signal}`];
  const lines = stderr.split('\n').filter((l) => l !== '');
  const errors = lines.filter((l) => !l.startsWith('keel: warning: '));
  const problems: string[] = [];
  if (/internal error|^\s+at /m.test(stderr)) problems.push(`internal error or stack: ${stderr.slice(0, 300)}`);
  if (c.expectError !== undefined) {
    if (code !== 1 || errors.length !== 1 || !new RegExp(c.expectError).test(errors[0]!)) problems.push(`expected one error matching /${c.expectError}/, got exit ${code}: ${stderr.slice(0, 300)}`);
  } else if (code === 1) {
    if (errors.length !== 1 || !errors[0]!.startsWith('keel: ')) problems.push(`exit 1 without keel's one-line error: ${JSON.stringify(stderr.slice(0, 300))}`);
  } else if (code !== 0) {
    // The container's own status (keel run passes it on): fine as long as keel itself said nothing.
    if (errors.some((l) => l.startsWith('keel: '))) problems.push(`exit ${code} with keel errors: ${stderr.slice(0, 300)}`);
  } else if (errors.length) {
    problems.push(`exit 0 but stderr says: ${stderr.slice(0, 300)}`);
  }
  return problems;
}

/** With --log-format json, the error is also the last line of the log, as runc writes it (engines read it). */
function judgeJsonLog(logPath: string, stderr: string): string[] {
  const last = existsSync(logPath) ? readFileSync(logPath, 'utf8').trimEnd().split('\n').at(-1) : undefined;
  let entry: { level?: string; msg?: string } | undefined;
  try {
    entry = last ? (JSON.parse(last) as typeof entry) : undefined;
  } catch {
    return [`the last --log line is not JSON: ${last?.slice(0, 200)}`];
  }
  const errorLine = stderr.split('\n').find((l) => l.startsWith('keel: ') && !l.startsWith('keel: warning: '));
  if (entry?.level !== 'error' || `keel: ${entry.msg}` !== errorLine) return [`the --log file does not end with the error as JSON: ${last?.slice(0, 200)}`];
  return [];
}

interface Bounded {
  status: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
}

/**
 * Runs a command to its end, killed after RUN_TIMEOUT_MS. Asynchronous on purpose: a fuzz run
 * lasts minutes, and a test worker blocked in spawnSync that long misses the runner's RPC deadline.
 */
function runBounded(cmd: string, args: string[], opts: { cwd: string; stdio: ['ignore', 'ignore', number] }): Promise<Bounded> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: CLEAN_ENV, cwd: opts.cwd, stdio: opts.stdio });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, timedOut });
    });
  });
}

/** Runs one case; returns what went wrong (nothing, when keel kept its promises). */
export async function runCase(c: FuzzCase, ctx: CaseContext, n: number): Promise<string[]> {
  const bundle = makeBundle();
  const id = c.id === undefined ? `${ctx.idTag}${n}` : c.id.replaceAll('@CANARY@', ctx.canary.dir);
  const tags = [bundle.dir, basename(bundle.dir), ctx.keel.root, ctx.idTag, ctx.canary.dir];
  const problems: string[] = [];
  // Taken before the plants too: the test must not reach the host through its own links either.
  const marksBefore = hostMarks(c);
  try {
    for (const plant of c.plants) plantSymlink(bundle.rootfs, plant.path, plant.target.replaceAll('@CANARY@', ctx.canary.dir));
    if (c.rootfsSymlinkTo !== undefined) {
      renameSync(bundle.rootfs, join(bundle.dir, 'real-rootfs'));
      symlinkSync(c.rootfsSymlinkTo.replaceAll('@CANARY@', ctx.canary.dir), bundle.rootfs);
    }
    writeFileSync(join(bundle.dir, 'config.json'), configText(c, ctx.canary.dir));
    const before = snapshotHost(tags, ctx.keel.root);

    const errPath = join(bundle.dir, '.stderr');
    const errFd = openSync(errPath, 'w');
    const logPath = join(bundle.dir, '.log.json');
    const argv = [KEEL, '--root', ctx.keel.root, '--log', logPath, '--log-format', 'json', 'run', '--bundle', bundle.dir, id];
    const [cmd, ...args] = c.isolate ? ['unshare', '-m', '--propagation', 'private', ...argv] : argv;
    const r = await runBounded(cmd!, args, { cwd: bundle.dir, stdio: ['ignore', 'ignore', errFd] });
    closeSync(errFd);
    const stderr = readFileSync(errPath, 'utf8');
    rmSync(errPath);
    const outcome = r.status === 1 ? `refused at ${/plan|config\.json/.test(stderr) ? 'load' : 'setup'}` : `exit ${r.status ?? r.signal}`;
    ctx.outcomes?.set(outcome, (ctx.outcomes.get(outcome) ?? 0) + 1);
    if (process.env.KEEL_FUZZ_LOG) appendFileSync(process.env.KEEL_FUZZ_LOG, `${n}\t${outcome}\t${c.mutations.join(' | ')}\t${stderr.trim()}\n`);
    problems.push(...judgeOutput(c, r.status, r.signal, stderr, r.timedOut));
    // An id that yargs takes for flags ("-rf") or misses ("") fails before logging is set up;
    // that usage error reaches stderr only (left to the CLI, see the lane's README).
    const usageError = c.id !== undefined && (c.id === '' || c.id.startsWith('-'));
    if (r.status === 1 && !usageError) problems.push(...judgeJsonLog(logPath, stderr));

    if (ctx.canary.touched()) problems.push('the canary directory on the host was changed');
    const marks = hostMarks(c).filter((m) => !marksBefore.includes(m));
    if (marks.length) problems.push(`host paths created: ${marks.join(', ')}`);
    // keel run deletes its container, whether it worked or not: nothing may remain.
    await eventually(() => diffSnapshots(before, snapshotHost(tags, ctx.keel.root)).length === 0, 3000);
    problems.push(...diffSnapshots(before, snapshotHost(tags, ctx.keel.root)));
  } finally {
    if (existsSync(join(ctx.keel.root))) ctx.keel.run(['delete', '--force', id]);
    // Never rm -r a bundle with something still mounted in it: that could reach the host.
    if (mountsMentioning(bundle.dir).length) problems.push(`mounts left in the bundle, not removed: ${mountsMentioning(bundle.dir).join('; ')}`);
    else bundle.remove();
  }
  return problems;
}
