/**
 * Plain users for the rootless tests: made with useradd (a unique name per test file), given a
 * /run/user/<uid> as pam_systemd would, and /etc/subuid and /etc/subgid entries when asked;
 * removed with all of it afterwards (their processes killed, their lines taken out again).
 * keel runs as the user straight from this checkout's dist/ (world-readable, as /work is).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Spec } from '../../src/spec/types.js';
import { rootfsTemplate } from './bundle.js';
import { KEEL, type KeelResult } from './keel.js';

export interface TestUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  runtimeDir: string;
  /** The first id of its /etc/subuid and /etc/subgid range, when it has one. */
  subidStart?: number;
  /** keel as this user, with XDG_RUNTIME_DIR set (or `env` instead). */
  keel(args: string[], opts?: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string }): KeelResult;
  /** Any program as this user. */
  run(file: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string }): KeelResult;
  /** A busybox bundle in the user's home, owned by the user, from `keel spec --rootless` as the user. */
  bundle(name: string, edit?: (spec: Spec) => void): string;
  remove(): void;
}

const SUBID_SIZE = 65536;

/** A free range for /etc/subuid and /etc/subgid: above every range either file gives, and above 200000. */
function freeSubidStart(): number {
  let top = 200000;
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const [, start, count] = line.split(':');
      if (start && count) top = Math.max(top, Number(start) + Number(count));
    }
  }
  return top;
}

function editLines(file: string, edit: (lines: string[]) => string[]): void {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  writeFileSync(file, edit(lines).map((l) => l + '\n').join(''));
}

export function makeTestUser(tag: string, opts: { subids?: boolean } = {}): TestUser {
  const name = `kt${tag}${process.pid % 100000}`.slice(0, 31);
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', '--user-group', name]);
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }));
  const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }));
  const home = `/home/${name}`;
  const runtimeDir = `/run/user/${uid}`;
  mkdirSync(runtimeDir, { recursive: true });
  chownSync(runtimeDir, uid, gid);
  chmodSync(runtimeDir, 0o700);
  // useradd gives a new user ranges of its own where /etc/subuid exists; the tests decide instead.
  for (const file of ['/etc/subuid', '/etc/subgid']) if (existsSync(file)) editLines(file, (lines) => lines.filter((l) => !l.startsWith(`${name}:`)));
  let subidStart: number | undefined;
  if (opts.subids) {
    subidStart = freeSubidStart();
    for (const file of ['/etc/subuid', '/etc/subgid']) editLines(file, (lines) => [...lines, `${name}:${subidStart}:${SUBID_SIZE}`]);
  }
  const env = { PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', HOME: home, USER: name, LOGNAME: name, XDG_RUNTIME_DIR: runtimeDir };
  const run: TestUser['run'] = (file, args, o = {}) => {
    const scratch = `${runtimeDir}/.out-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const fds = [openSync(`${scratch}.1`, 'w'), openSync(`${scratch}.2`, 'w')];
    try {
      const r = spawnSync(file, args, { uid, gid, env: o.env ?? env, cwd: o.cwd ?? home, timeout: o.timeout ?? 20_000, stdio: ['ignore', fds[0], fds[1]] });
      if (r.error) throw r.error;
      return { code: r.status ?? 128, stdout: readFileSync(`${scratch}.1`, 'utf8'), stderr: readFileSync(`${scratch}.2`, 'utf8') };
    } finally {
      fds.forEach((fd) => closeSync(fd));
      rmSync(`${scratch}.1`, { force: true });
      rmSync(`${scratch}.2`, { force: true });
    }
  };
  const user: TestUser = {
    name,
    uid,
    gid,
    home,
    runtimeDir,
    subidStart,
    run,
    keel: (args, o) => run(KEEL, args, o),
    bundle(bundleName, edit) {
      const dir = join(home, bundleName);
      mkdirSync(join(dir, 'rootfs'), { recursive: true });
      cpSync(rootfsTemplate(), join(dir, 'rootfs'), { recursive: true, verbatimSymlinks: true });
      execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
      const made = run(KEEL, ['spec', '--rootless', '--bundle', dir]);
      if (made.code !== 0) throw new Error(`keel spec --rootless as ${name}: ${made.stderr}`);
      const file = join(dir, 'config.json');
      const spec = JSON.parse(readFileSync(file, 'utf8')) as Spec;
      spec.process!.terminal = false;
      spec.process!.args = ['true'];
      edit?.(spec);
      writeFileSync(file, JSON.stringify(spec, null, 2));
      chownSync(file, uid, gid);
      return dir;
    },
    remove() {
      spawnSync('pkill', ['-KILL', '-U', String(uid)]);
      // A killed process lingers a moment: userdel refuses a user with processes.
      for (let i = 0; i < 50 && spawnSync('pgrep', ['-U', String(uid)]).status === 0; i++) spawnSync('sleep', ['0.1']);
      spawnSync('userdel', ['--remove', '--force', name]);
      rmSync(runtimeDir, { recursive: true, force: true });
      for (const file of ['/etc/subuid', '/etc/subgid']) if (existsSync(file)) editLines(file, (lines) => lines.filter((l) => !l.startsWith(`${name}:`)));
    },
  };
  return user;
}
