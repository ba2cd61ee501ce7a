/**
 * Real seccomp profiles, in real containers: podman's default profile as podman applies it, and a
 * strict allow list with nothing but what a static busybox `echo` needs. The program must run and
 * print under `run`, `create` + `start` and `exec`, with and without no_new_privs, and also when
 * the profile denies any one of the calls keel-init used to make after installing the filter: the
 * filter is now followed by nothing it could deny but execve (and, without no_new_privs, capset,
 * which runc makes after its filter too). A failure after `start` is never silent.
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import type { LinuxSeccomp, Spec } from '../../src/spec/types.js';
import { CLEAN_ENV, type KeelRoot } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';
import { podmanSeccomp, allows, without } from '../helpers/seccomp-profiles.js';
import { useTestbed } from '../helpers/testbed.js';
import { spawnSync } from 'node:child_process';

const bed = useTestbed();
const runc = new RuncRoot();
afterAll(() => runc.cleanup());

/** What a static busybox `echo hello` calls (strace -f -c), and `sleep` for an exec's container. */
const BUSYBOX_ECHO = ['execve', 'arch_prctl', 'set_tid_address', 'set_robust_list', 'rseq', 'prlimit64', 'getrandom', 'readlink', 'prctl', 'getuid', 'brk', 'mprotect', 'write', 'exit_group'];
const BUSYBOX_SLEEP = [...BUSYBOX_ECHO, 'clock_nanosleep'];

/**
 * The calls keel-init made after installing the filter before this was fixed (strace -f of
 * `keel run`, from the seccomp() call to the execve): with no_new_privs close_range and sendto;
 * without it, the user and capability calls and the whole wait for `start` as well.
 */
const FORMERLY_AFTER_FILTER = ['close_range', 'sendto', 'chdir', 'prctl', 'rt_sigprocmask', 'setgroups', 'setresgid', 'setresuid', 'umask', 'stat', 'newfstatat', 'access', 'recvfrom', 'read', 'close'];

function strict(names: string[], noNewPrivileges: boolean): LinuxSeccomp {
  // Without no_new_privs the filter must go in while keel-init still holds CAP_SYS_ADMIN, before the
  // final capabilities: capset follows it, as with runc.
  const allowed = noNewPrivileges ? names : [...names, 'capset'];
  return { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }] };
}

function podman(spec: Spec): LinuxSeccomp {
  return podmanSeccomp(spec.process!.capabilities?.bounding ?? []);
}

let n = 0;
const nextId = (what: string) => `sc-${what}-${process.pid}-${n++}`;

function bundleWith(args: string[], noNewPrivileges: boolean, profile: (spec: Spec) => LinuxSeccomp) {
  return bed.bundle((s) => {
    s.process!.args = args;
    s.process!.noNewPrivileges = noNewPrivileges;
    s.linux!.seccomp = profile(s);
  });
}

/** `create`, then `start`, with the container's stdout and stderr in one file; waits for it to stop. */
function createAndStart(keel: KeelRoot, dir: string): { code: number; output: string } {
  const id = nextId('cs');
  const file = join(keel.root, `.cs-${id}`);
  const fd = openSync(file, 'w');
  try {
    const created = spawnSync(keel.binary, ['--root', keel.root, 'create', '--bundle', dir, id], { env: CLEAN_ENV, stdio: ['ignore', fd, fd], timeout: 20_000 });
    if (created.status !== 0) return { code: created.status ?? 128, output: readFileSync(file, 'utf8') };
    keel.ok(['start', id]);
    const deadline = Date.now() + 10_000;
    while (JSON.parse(keel.ok(['state', id])).status !== 'stopped') {
      if (Date.now() > deadline) throw new Error(`container ${id} did not stop`);
      spawnSync('sleep', ['0.02']);
    }
    keel.ok(['delete', id]);
    return { code: 0, output: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}

/** `exec` of echo into a container whose init sleeps, both under the same profile. */
function execInto(keel: KeelRoot, noNewPrivileges: boolean, profile: (spec: Spec) => LinuxSeccomp) {
  const b = bundleWith(['sleep', '30'], noNewPrivileges, profile);
  const id = nextId('exec');
  keel.ok(['run', '-d', '--bundle', b.dir, id]);
  try {
    return keel.run(['exec', id, 'echo', 'hello']);
  } finally {
    keel.run(['delete', '--force', id]);
  }
}

const PROFILES: [string, (nnp: boolean) => (s: Spec) => LinuxSeccomp, (nnp: boolean) => (s: Spec) => LinuxSeccomp][] = [
  ['podman\'s default profile', () => podman, () => podman],
  ['a strict allow list of what busybox echo needs', (nnp) => () => strict(BUSYBOX_ECHO, nnp), (nnp) => () => strict(BUSYBOX_SLEEP, nnp)],
];

describe.each(PROFILES)('%s', (_name, profileFor, execProfileFor) => {
  for (const nnp of [true, false]) {
    const how = nnp ? 'with no_new_privs' : 'without no_new_privs';
    it(`runs and prints under keel run, ${how}`, () => {
      const b = bundleWith(['echo', 'hello'], nnp, profileFor(nnp));
      const r = bed.keel.run(['run', '--bundle', b.dir, nextId('run')]);
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
    });

    it(`runs and prints under create and start, ${how}`, () => {
      const b = bundleWith(['echo', 'hello'], nnp, profileFor(nnp));
      expect(createAndStart(bed.keel, b.dir)).toEqual({ code: 0, output: 'hello\n' });
    });

    it(`runs and prints under exec, ${how}`, () => {
      const r = execInto(bed.keel, nnp, execProfileFor(nnp));
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
    });
  }
});

describe('podman\'s default profile under runc gives the same outcome', () => {
  for (const nnp of [true, false]) {
    it(`${nnp ? 'with' : 'without'} no_new_privs: both print`, () => {
      const b = bundleWith(['echo', 'hello'], nnp, podman);
      const k = bed.keel.run(['run', '--bundle', b.dir, nextId('k')]);
      const r = runc.run(['run', '--bundle', b.dir, nextId('r')]);
      expect(k, k.stderr).toMatchObject({ code: 0, stdout: 'hello\n' });
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: 'hello\n' });
    });
  }
});

describe('a profile that denies a call keel-init used to make after its filter', () => {
  for (const nnp of [true, false]) {
    it(`podman's profile minus any one of them still runs the program, ${nnp ? 'with' : 'without'} no_new_privs`, () => {
      const failures: string[] = [];
      let tried = 0;
      for (const name of FORMERLY_AFTER_FILTER) {
        const b = bundleWith(['echo', 'hello'], nnp, (s) => without(podman(s), name));
        if (!allows(podman(b.spec), name)) continue;
        tried++;
        const run = bed.keel.run(['run', '--bundle', b.dir, nextId(`no-${name}`)]);
        if (run.code !== 0 || run.stdout !== 'hello\n') failures.push(`run without ${name}: ${run.code} ${run.stderr.trim()}`);
        const cs = createAndStart(bed.keel, b.dir);
        if (cs.output !== 'hello\n') failures.push(`create+start without ${name}: ${cs.code} ${cs.output.trim()}`);
      }
      // podman's profile allows them all: a profile change that stops that must show here.
      expect(tried).toBe(FORMERLY_AFTER_FILTER.length);
      expect(failures).toEqual([]);
    });
  }
});

describe('a failure after the filter is never silent', () => {
  // Without no_new_privs, capset follows the filter (as in runc): a profile that denies it stops
  // the container in both runtimes. keel says which step failed, and that the profile may be why.
  const denyCapset = (s: Spec) => without(podman(s), 'capset');
  const expected = /set (the )?capabilities.*: function not implemented.*\(after the seccomp filter was installed: the container's profile may deny this call\)/;

  it('keel run exits 1 naming the step, on stderr and in the JSON log; runc fails too', () => {
    const b = bundleWith(['echo', 'hello'], false, denyCapset);
    const log = join(bed.keel.root, '.capset.log');
    const r = bed.keel.run(['--log', log, '--log-format', 'json', 'run', '--bundle', b.dir, nextId('capset')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(expected);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringMatching(expected)]);
    expect(bed.keel.containers()).toEqual([]);
    const theirs = runc.run(['run', '--bundle', b.dir, nextId('capset-runc')]);
    expect(theirs.code).not.toBe(0);
    expect(theirs.stdout).toBe('');
  });

  it('after create and start, the line goes to the container\'s stderr', () => {
    const b = bundleWith(['echo', 'hello'], false, denyCapset);
    const r = createAndStart(bed.keel, b.dir);
    expect(r.output).toBe("keel: set the capabilities (capset): function not implemented (after the seccomp filter was installed: the container's profile may deny this call)\n");
  });

  it('keel exec fails naming the step', () => {
    // The container has no_new_privs, so its own capabilities are set before the filter and it
    // runs; the exec'd process has none, so capset follows the filter there and is denied.
    const b = bundleWith(['sleep', '30'], true, (s) => without(podman(s), 'capset'));
    const id = nextId('exec-capset');
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    try {
      const file = join(b.dir, 'process.json');
      writeFileSync(file, JSON.stringify({ ...b.spec.process, args: ['echo', 'hello'], noNewPrivileges: false }));
      const r = bed.keel.run(['exec', '--process', file, id]);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(expected);
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });
});

describe('what keel-init calls after installing the filter (strace -f of keel run)', () => {
  /** The calls each process makes between its seccomp(SECCOMP_SET_MODE_FILTER) and its execve. */
  function callsAfterFilter(noNewPrivileges: boolean): string[] {
    const b = bundleWith(['true'], noNewPrivileges, () => ({ defaultAction: 'SCMP_ACT_ALLOW' }));
    const trace = join(bed.keel.root, `.strace-${n}`);
    const r = spawnSync('strace', ['-f', '-qq', '-o', trace, bed.keel.binary, '--root', bed.keel.root, 'run', '--bundle', b.dir, nextId('strace')], { env: CLEAN_ENV, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const filtered = new Set<string>();
    const calls: string[] = [];
    for (const line of readFileSync(trace, 'utf8').split('\n')) {
      const m = /^(\d+) +(?:<\.\.\. )?(\w+)/.exec(line);
      if (!m || line.includes('resumed>')) continue;
      const [, pid, name] = m as unknown as [string, string, string];
      if (name === 'seccomp' && line.includes('SECCOMP_SET_MODE_FILTER')) filtered.add(pid);
      else if (filtered.has(pid)) {
        calls.push(name);
        if (name === 'execve') filtered.delete(pid);
      }
    }
    rmSync(trace, { force: true });
    return calls;
  }

  it('with no_new_privs: execve alone', () => {
    expect(callsAfterFilter(true)).toEqual(['execve']);
  });

  it('without no_new_privs: capset, then execve', () => {
    expect(callsAfterFilter(false)).toEqual(['capset', 'execve']);
  });
});
