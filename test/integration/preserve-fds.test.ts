/**
 * --preserve-fds N hands the container exactly the caller's fds 3..N+2 (runtime-spec's
 * runc-compatible CLI; runc 1.1.5 side by side). A number in that range that the caller left
 * closed is refused before anything exists, naming it: it must never be filled with one of keel's
 * own fds (Node's epoll fd and pipes, cgroup.procs, the locked state directory), which is the class
 * of runc's CVE-2024-21626 and made keel hang (keel-init held keel's lock on the state directory).
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { CLEAN_ENV, KEEL } from '../helpers/keel.js';
import { RUNC } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();

/**
 * The process's own fds, from inside the container: busybox ls -l prints "... N -> target" for each;
 * its own handle on the directory it lists (a target /proc/<pid>/fd) is left out, and the rest are
 * sorted by number.
 */
const LIST_FDS = ['ls', '-l', '/proc/self/fd/'];

/** ls's stderr: at most its complaint about its own directory fd, closed before it read the link. */
const LS_OWN_FD = /^(ls: \/proc\/self\/fd\/\d+: cannot read link: No such file or directory\n)?$/;

function byFd(listing: string): string[] {
  return listing
    .split('\n')
    .map((line) => line.match(/ (\d+) -> (.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && !/^\/proc\/\d+\/fd$/.test(m[2]!))
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => `${m[1]} ${m[2]}`);
}

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Processes still in the runtime's process group after it exited (keel-init, a container). */
  leftInGroup: number[];
}

/**
 * Runs `binary` (keel or runc, with `root`) with stdout and stderr in files and exactly the fds in
 * `extra` open from 3 on (index i of the array is fd 3 + i; undefined leaves that number closed),
 * in a process group of its own so that anything it leaves running can be found.
 */
async function withFds(binary: string, root: string, args: string[], extra: (number | undefined)[], env: Record<string, string> = {}): Promise<Outcome> {
  mkdirSync(root, { recursive: true });
  const out = join(root, `.fds-out-${process.pid}`);
  const err = join(root, `.fds-err-${process.pid}`);
  const stdio = [openSync(out, 'w'), openSync(err, 'w')];
  const started = Date.now();
  try {
    const child = spawn(binary, ['--root', root, ...args], {
      env: { ...CLEAN_ENV, ...env },
      detached: true,
      stdio: ['ignore', stdio[0]!, stdio[1]!, ...extra.map((fd) => fd ?? 'ignore')],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(timer);
    return { code, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8'), ms: Date.now() - started, leftInGroup: processGroup(child.pid!) };
  } finally {
    stdio.forEach((fd) => closeSync(fd));
  }
}

function processGroup(pgid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]) === pgid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `count` files, each holding its own name, opened for reading: the fds a caller passes on. */
function callerFiles(dir: string, count: number): { fds: number[]; paths: string[] } {
  const paths = Array.from({ length: count }, (_, i) => join(dir, `passed-${i}`));
  paths.forEach((p) => writeFileSync(p, p));
  return { fds: paths.map((p) => openSync(p, 'r')), paths };
}

const cgroupDirsOf = (id: string) => readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, 'keel', id)).filter((d) => existsSync(d));

describe('--preserve-fds with a gap in the caller\'s fds', () => {
  // The fast path (the shapes engines send) and yargs (KEEL_NO_FAST_PATH) must refuse alike.
  for (const [parser, env] of [['fast path', {}], ['yargs', { KEEL_NO_FAST_PATH: '1' }]] as const) {
    for (const verb of ['run', 'create'] as const) {
      it(`${verb} (${parser}) with only fds 3 and 5 open and --preserve-fds 10 fails at once naming fd 4, and leaves nothing behind`, async () => {
        const b = bed.bundle((s) => (s.process!.args = LIST_FDS));
        const { fds } = callerFiles(b.dir, 2);
        const id = `gap-${verb}-${parser === 'yargs' ? 'y' : 'f'}-${process.pid}`;
        try {
          const r = await withFds(KEEL, bed.keel.root, [verb, '--preserve-fds', '10', '--bundle', b.dir, id], [fds[0], undefined, fds[1]], env);
          expect(r.stderr).toBe('keel: --preserve-fds 10: fd 4 is not open in the process that ran keel (fds 3 to 12 must all be): open it, or pass fewer fds\n');
          expect(r.code).toBe(1);
          // Refused before Node's start is even half over, on this 2-core VM under load.
          expect(r.ms).toBeLessThan(10_000);
          expect(bed.keel.containers()).toEqual([]);
          expect(cgroupDirsOf(id)).toEqual([]);
          expect(r.leftInGroup).toEqual([]);
        } finally {
          fds.forEach((fd) => closeSync(fd));
        }
      });
    }
  }

  it('runc 1.1.5 refuses the same call too (it names a preserved fd it cannot stat)', async () => {
    const b = bed.bundle((s) => (s.process!.args = LIST_FDS));
    const { fds } = callerFiles(b.dir, 2);
    const id = `gap-runc-${process.pid}`;
    const runcRoot = join(bed.keel.root, '.runc');
    try {
      const r = await withFds(RUNC, runcRoot, ['run', '--preserve-fds', '10', '--bundle', b.dir, id], [fds[0], undefined, fds[1]]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/unable to stat preserved-fd \d+ \(of 10\)/);
      expect(r.leftInGroup).toEqual([]);
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  });

  it('exec (fast path and yargs) with a gap fails naming the fd, and starts nothing in the container', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `gap-exec-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const { fds } = callerFiles(b.dir, 3);
    try {
      for (const env of [{}, { KEEL_NO_FAST_PATH: '1' }] as Record<string, string>[]) {
        const r = await withFds(KEEL, bed.keel.root, ['exec', '--preserve-fds', '5', id, 'sh', '-c', 'touch /tmp/ran'], [fds[0], fds[1], undefined, fds[2]], env);
        expect(r.stderr).toBe('keel: --preserve-fds 5: fd 5 is not open in the process that ran keel (fds 3 to 7 must all be): open it, or pass fewer fds\n');
        expect(r.code).toBe(1);
        expect(existsSync(join(b.rootfs, 'tmp/ran'))).toBe(false);
      }
    } finally {
      fds.forEach((fd) => closeSync(fd));
      bed.keel.ok(['delete', '--force', id]);
    }
  });
});

describe('--preserve-fds with every fd in the range open', () => {
  it('run: the container holds exactly fds 3 to 12 of the caller, and nothing else of the host, as with runc', async () => {
    const b = bed.bundle((s) => (s.process!.args = LIST_FDS));
    const { fds, paths } = callerFiles(b.dir, 10);
    const runcRoot = join(bed.keel.root, '.runc');
    try {
      const keel = await withFds(KEEL, bed.keel.root, ['run', '--preserve-fds', '10', '--bundle', b.dir, `all-${process.pid}`], fds);
      expect(keel.stderr).toMatch(LS_OWN_FD);
      expect(keel.code).toBe(0);
      const seen = byFd(keel.stdout);
      const out = join(bed.keel.root, `.fds-out-${process.pid}`);
      const err = join(bed.keel.root, `.fds-err-${process.pid}`);
      expect(seen).toEqual(['0 /dev/null', `1 ${out}`, `2 ${err}`, ...paths.map((p, i) => `${i + 3} ${p}`)]);
      expect(keel.leftInGroup).toEqual([]);

      const runc = await withFds(RUNC, runcRoot, ['run', '--preserve-fds', '10', '--bundle', b.dir, `all-runc-${process.pid}`], fds);
      expect(runc.code).toBe(0);
      // runc's foreground run relays stdio through pipes of its own; fds 3 and up are the same.
      expect(byFd(runc.stdout).slice(3)).toEqual(seen.slice(3));
    } finally {
      fds.forEach((fd) => closeSync(fd));
    }
  });

  it('create + start and exec: the processes hold exactly the caller\'s fds', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', `${LIST_FDS.join(' ')} > /tmp/seen; exec sleep 1000`]));
    const id = `all-create-${process.pid}`;
    const { fds, paths } = callerFiles(b.dir, 4);
    const out = join(bed.keel.root, `.fds-out-${process.pid}`);
    const err = join(bed.keel.root, `.fds-err-${process.pid}`);
    try {
      const created = await withFds(KEEL, bed.keel.root, ['create', '--preserve-fds', '4', '--bundle', b.dir, id], fds);
      expect(created.stderr).toBe('');
      expect(created.code).toBe(0);
      bed.keel.ok(['start', id]);
      const seen = join(b.rootfs, 'tmp/seen');
      const { eventually } = await import('../helpers/host.js');
      expect(await eventually(() => existsSync(seen) && byFd(readFileSync(seen, 'utf8')).length >= 7)).toBe(true);
      // fd 1 is the shell's redirection to /tmp/seen, inside the container.
      expect(byFd(readFileSync(seen, 'utf8'))).toEqual(['0 /dev/null', '1 /tmp/seen', `2 ${err}`, ...paths.map((p, i) => `${i + 3} ${p}`)]);

      const exec = await withFds(KEEL, bed.keel.root, ['exec', '--preserve-fds', '2', id, ...LIST_FDS], fds.slice(0, 2));
      expect(exec.code).toBe(0);
      expect(byFd(exec.stdout)).toEqual(['0 /dev/null', `1 ${out}`, `2 ${err}`, `3 ${paths[0]}`, `4 ${paths[1]}`]);
    } finally {
      fds.forEach((fd) => closeSync(fd));
      bed.keel.run(['delete', '--force', id]);
    }
  });
});
