/**
 * The runtime-spec's rules for hooks (runtime.md's lifecycle, config.md's hooks), one case per
 * MUST that hooks.test.ts does not cover, beside runc 1.1.5 where runc follows the rule. The
 * lifecycle: a failing prestart, createRuntime, createContainer, startContainer or poststart hook
 * is an error and stops the container, which then is destroyed and its poststop hooks run; a
 * failing poststop hook is a warning. Also keel's own rule: no wait on a hook is unbounded by
 * anything but the hook's run within its timeout.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Hook, Spec } from '../../src/spec/types.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

const NAMES = ['keel', 'runc'] as const;
type Name = (typeof NAMES)[number];
const runtimes = {} as Record<Name, KeelRoot>;
const bundles: Bundle[] = [];
let scratch: string;
let serial = 0;

beforeAll(() => {
  requireRootAndBuild();
  runtimes.keel = new KeelRoot();
  runtimes.runc = new RuncRoot();
  scratch = mkdtempSync(join(tmpdir(), 'keel-spec-hooks-'));
});
afterAll(() => {
  for (const name of NAMES) runtimes[name]?.cleanup();
  for (const b of bundles) b.remove();
  rmSync(scratch, { recursive: true, force: true });
});

function bundle(edit: (s: Spec) => void): Bundle {
  const b = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
    edit(s);
  });
  bundles.push(b);
  return b;
}

/** A fresh directory for one runtime's records in one case. */
function dirFor(name: string): string {
  const dir = join(scratch, `${name}-${serial++}`);
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync(`${dir}-`);
}

const sh = (script: string, more: Partial<Hook> = {}): Hook => ({ path: '/bin/sh', args: ['sh', '-c', script], ...more });
/** A poststop hook that appends the state it is given to `dir`/poststop. */
const poststopRecorder = (dir: string) => sh(`cat >> ${dir}/poststop; echo >> ${dir}/poststop`);
const poststops = (dir: string) => (existsSync(join(dir, 'poststop')) ? readFileSync(join(dir, 'poststop'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

/** Every process in the PID namespace whose inode link is `ns`. */
function processesInNamespace(ns: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readlinkSync(`/proc/${e}/ns/pid`) === ns && !readFileSync(`/proc/${e}/stat`, 'utf8').includes(') Z ');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** The environment a hook wrote with `env`, less what the shell itself adds. */
const SHELL_OWN = /^(PWD|SHLVL|_|OLDPWD)=/;
const envOf = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l && !SHELL_OWN.test(l)).sort();

describe('a failing poststart hook (runtime.md, lifecycle step 9)', () => {
  it('fails start with the hook\'s error, kills the container\'s processes, and leaves the poststop hooks to delete', async () => {
    const dir = dirFor('poststart');
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'sleep 1000 & sleep 1000'];
      s.hooks = { poststart: [sh('echo out; echo err >&2; exit 3')], poststop: [poststopRecorder(dir)] };
    });
    const keel = runtimes.keel;
    keel.ok(['create', '--bundle', b.dir, 'poststart-fails']);
    const { pid } = JSON.parse(keel.ok(['state', 'poststart-fails']));
    const ns = readlinkSync(`/proc/${pid}/ns/pid`);
    const r = keel.run(['start', 'poststart-fails']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('keel: poststart hook 0 (/bin/sh) exited with status 3, stdout: "out", stderr: "err": container "poststart-fails" was stopped (keel delete removes it and runs its poststop hooks)\n');
    // Stopped: the init and the process it started are gone when start returns.
    expect(processesInNamespace(ns)).toEqual([]);
    expect(JSON.parse(keel.ok(['state', 'poststart-fails'])).status).toBe('stopped');
    expect(poststops(dir)).toEqual([]);
    keel.ok(['delete', 'poststart-fails']);
    expect(poststops(dir)).toEqual([expect.objectContaining({ id: 'poststart-fails', status: 'stopped' })]);
  });

  it('fails run, detached or not, which leaves no container behind and runs the poststop hooks, as runc', () => {
    for (const detach of [true, false]) {
      const seen = Object.fromEntries(
        NAMES.map((name) => {
          const dir = dirFor(`run-${name}`);
          const b = bundle((s) => (s.hooks = { poststart: [sh('echo poststart-said-no >&2; exit 3')], poststop: [poststopRecorder(dir)] }));
          const id = `poststart-run-${name}-${detach}`;
          const r = runtimes[name].run(['run', ...(detach ? ['--detach'] : []), '--bundle', b.dir, id]);
          return [name, { code: r.code, quoted: r.stderr.includes('poststart-said-no'), left: runtimes[name].containers().includes(id), poststop: poststops(dir).map((s) => [s.id === id, s.status]) }];
        }),
      );
      expect(seen.runc, `detach ${detach}`).toEqual({ code: 1, quoted: true, left: false, poststop: [[true, 'stopped']] });
      expect(seen.keel, `detach ${detach}`).toEqual(seen.runc);
    }
  });
});

describe('what each kind of failing hook does to the container', () => {
  for (const kind of ['prestart', 'createRuntime', 'createContainer'] as const) {
    it(`a failing ${kind} hook fails create, nothing is left, and the poststop hooks run (steps 3-5, 12, 13), as runc`, () => {
      const seen = Object.fromEntries(
        NAMES.map((name) => {
          const dir = dirFor(`${kind}-${name}`);
          const b = bundle((s) => (s.hooks = { [kind]: [sh(`echo ${kind}-said-no >&2; exit 4`)], poststop: [poststopRecorder(dir)] }));
          const id = `${kind}-fails-${name}`;
          const r = runtimes[name].run(['create', '--bundle', b.dir, id]);
          return [name, { code: r.code, quoted: r.stderr.includes(`${kind}-said-no`), left: runtimes[name].containers().includes(id), poststop: poststops(dir).map((s) => [s.id === id, s.status]) }];
        }),
      );
      expect(seen.runc).toEqual({ code: 1, quoted: true, left: false, poststop: [[true, 'stopped']] });
      expect(seen.keel).toEqual(seen.runc);
    });
  }

  it('a failing startContainer hook stops the container before the program runs and says why (step 7), as runc', () => {
    const seen = Object.fromEntries(
      NAMES.map((name) => {
        const b = bundle((s) => {
          s.process!.args = ['sh', '-c', 'echo the-program-ran'];
          s.hooks = { startContainer: [sh('echo startContainer-said-no >&2; exit 5')] };
        });
        const id = `startcontainer-fails-${name}`;
        const r = runtimes[name].run(['run', '--bundle', b.dir, id]);
        return [name, { failed: r.code !== 0, ran: r.stdout.includes('the-program-ran'), quoted: r.stderr.includes('startContainer-said-no'), left: runtimes[name].containers().includes(id) }];
      }),
    );
    expect(seen.runc).toEqual({ failed: true, ran: false, quoted: true, left: false });
    expect(seen.keel).toEqual(seen.runc);
  });

  it('a hook that cannot be run fails as one that fails, naming it (a missing createRuntime hook; a poststop hook that is no program)', () => {
    const b = bundle((s) => (s.hooks = { createRuntime: [{ path: '/nonexistent/hook' }], poststop: [{ path: '/etc/passwd' }] }));
    const r = runtimes.keel.run(['create', '--bundle', b.dir, 'cannot-run']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr: 'keel: warning: poststop hook 0 (/etc/passwd) could not run: spawn /etc/passwd EACCES\nkeel: createRuntime hook 0 (/nonexistent/hook) could not run: spawn /nonexistent/hook ENOENT\n',
    });
    expect(runtimes.keel.containers()).not.toContain('cannot-run');
  });

  it('a failing startContainer hook fails start itself (it is part of start), leaving the poststop hooks to delete (README: runc 1.1 start succeeds)', () => {
    const dir = dirFor('startContainer');
    const b = bundle((s) => (s.hooks = { startContainer: [sh('exit 5')], poststart: [sh(`echo ran > ${dir}/poststart`)], poststop: [poststopRecorder(dir)] }));
    const keel = runtimes.keel;
    keel.ok(['create', '--bundle', b.dir, 'startcontainer-start']);
    const r = keel.run(['start', 'startcontainer-start']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    // (keel-init's own line went to the container's stderr: create's, here.)
    expect(r.stderr).toBe(
      'keel: container "startcontainer-start" stopped before its program ran: a startContainer hook or the program\'s exec failed (the reason is on the container\'s stderr)\n',
    );
    expect(existsSync(join(dir, 'poststart'))).toBe(false);
    expect(JSON.parse(keel.ok(['state', 'startcontainer-start'])).status).toBe('stopped');
    keel.ok(['delete', 'startcontainer-start']);
    expect(poststops(dir)).toEqual([expect.objectContaining({ id: 'startcontainer-start', status: 'stopped' })]);
  });

  it('a failing poststop hook is a warning: the hooks after it run and delete succeeds (step 13)', () => {
    const dir = dirFor('poststop');
    const b = bundle((s) => (s.hooks = { poststop: [sh('exit 6'), poststopRecorder(dir)] }));
    const keel = runtimes.keel;
    keel.ok(['run', '--detach', '--bundle', b.dir, 'poststop-fails']);
    const r = keel.run(['delete', '--force', 'poststop-fails']);
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'keel: warning: poststop hook 0 (/bin/sh) exited with status 6\n' });
    expect(poststops(dir)).toEqual([expect.objectContaining({ id: 'poststop-fails', status: 'stopped' })]);
    expect(keel.containers()).not.toContain('poststop-fails');
  });
});

describe('hooks of one kind, and their namespaces (config.md)', () => {
  it('run in the listed order, each kind after the one before it', async () => {
    const dir = dirFor('order');
    const kinds = ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'] as const;
    const b = bundle((s) => {
      s.hooks = Object.fromEntries(kinds.map((k) => [k, ['a', 'b', 'c'].map((n) => sh(`echo ${k}-${n} >> ${dir}/order`))]));
      s.hooks.startContainer = ['a', 'b', 'c'].map((n) => sh(`echo startContainer-${n} >> /tmp/order`));
    });
    const keel = runtimes.keel;
    keel.ok(['run', '--detach', '--bundle', b.dir, 'ordered']);
    expect(await eventually(() => existsSync(join(b.rootfs, 'tmp/order')) && readFileSync(join(b.rootfs, 'tmp/order'), 'utf8').split('\n').length > 3)).toBe(true);
    keel.ok(['delete', '--force', 'ordered']);
    const abc = (k: string) => ['a', 'b', 'c'].map((n) => `${k}-${n}`);
    expect(readFileSync(join(dir, 'order'), 'utf8').trim().split('\n')).toEqual(kinds.flatMap(abc));
    expect(readFileSync(join(b.rootfs, 'tmp/order'), 'utf8').trim().split('\n')).toEqual(abc('startContainer'));
  });

  it('startContainer hooks finish within start, and poststart hooks run once the program runs (README: runc 1.1 runs poststart at create)', () => {
    const dir = dirFor('poststart-after-exec');
    const b = bundle((s) => {
      s.hooks = {
        startContainer: [sh('sleep 1')],
        // What the container's process is when poststart runs: the program (sleep), not keel-init.
        poststart: [sh(`pid=$(sed 's/.*"pid":\\([0-9]*\\).*/\\1/'); cat /proc/$pid/comm > ${dir}/comm`)],
      };
    });
    const t0 = Date.now();
    runtimes.keel.ok(['run', '--detach', '--bundle', b.dir, 'poststart-after-exec']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(readFileSync(join(dir, 'comm'), 'utf8')).toBe('sleep\n');
    runtimes.keel.ok(['delete', '--force', 'poststart-after-exec']);
  });

  it('prestart, createRuntime, poststart and poststop run in the runtime namespace (keel\'s mount and PID namespaces)', () => {
    const dir = dirFor('ns');
    const kinds = ['prestart', 'createRuntime', 'poststart', 'poststop'] as const;
    const where = (k: string) => sh(`readlink /proc/self/ns/mnt /proc/self/ns/pid > ${dir}/${k}`);
    const b = bundle((s) => (s.hooks = Object.fromEntries(kinds.map((k) => [k, [where(k)]]))));
    runtimes.keel.ok(['run', '--detach', '--bundle', b.dir, 'ns-hooks']);
    runtimes.keel.ok(['delete', '--force', 'ns-hooks']);
    const own = `${readlinkSync('/proc/self/ns/mnt')}\n${readlinkSync('/proc/self/ns/pid')}\n`;
    for (const kind of kinds) expect(readFileSync(join(dir, kind), 'utf8'), kind).toBe(own);
  });
});

describe('where in-container hooks resolve and run (config.md)', () => {
  it('createContainer\'s path resolves in the runtime namespace, startContainer\'s in the container; both run in all the container\'s namespaces, as runc', async () => {
    const NS = ['mnt', 'pid', 'net', 'uts', 'ipc', 'cgroup'];
    const record = (file: string) => `for n in ${NS.join(' ')}; do readlink /proc/self/ns/$n; done > ${file}`;
    const seen = Object.fromEntries(
      await Promise.all(
        NAMES.map(async (name) => {
          const dir = dirFor(`resolve-${name}`);
          // A hook program that exists only on the host, and one that exists only in the rootfs.
          const hostOnly = join(dir, 'host-only-hook');
          writeFileSync(hostOnly, `#!/bin/sh\n${record(`${dir}/createContainer`)}\n`, { mode: 0o755 });
          const b = bundle((s) => {
            s.linux!.namespaces = NS.map((n) => ({ type: n === 'mnt' ? 'mount' : n === 'net' ? 'network' : n }) as never);
            s.hooks = { createContainer: [{ path: hostOnly }], startContainer: [{ path: '/container-only-hook' }] };
          });
          writeFileSync(join(b.rootfs, 'container-only-hook'), `#!/bin/sh\n${record('/tmp/startContainer')}\n`, { mode: 0o755 });
          const id = `resolve-${name}`;
          runtimes[name].ok(['run', '--detach', '--bundle', b.dir, id]);
          const { pid } = JSON.parse(runtimes[name].ok(['state', id]));
          const own = NS.map((n) => readlinkSync(`/proc/${pid}/ns/${n}`)).join('\n') + '\n';
          const started = join(b.rootfs, 'tmp/startContainer');
          await eventually(() => existsSync(started) && readFileSync(started, 'utf8').split('\n').length > NS.length);
          runtimes[name].ok(['delete', '--force', id]);
          return [name, { createContainer: readFileSync(join(dir, 'createContainer'), 'utf8') === own, startContainer: readFileSync(started, 'utf8') === own }];
        }),
      ),
    );
    expect(seen.runc).toEqual({ createContainer: true, startContainer: true });
    expect(seen.keel).toEqual(seen.runc);
  });
});

describe('a hook\'s environment', () => {
  const KINDS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
  /** Runs a container whose hooks of every kind write `env` to a file each; returns them. */
  function hookEnvs(name: Name, hookEnv: string[] | undefined): Record<string, string[]> {
    const dir = dirFor(`env-${name}`);
    const b = bundle((s) => {
      s.process!.env = ['PATH=/bin', 'FROM_PROCESS=1', 'FROM_PROCESS=2'];
      s.hooks = Object.fromEntries(KINDS.map((k) => [k, [sh(`env > ${k === 'startContainer' ? '/tmp' : dir}/${k}.env`, hookEnv ? { env: hookEnv } : {})]]));
    });
    const env = { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', FROM_RUNTIME_CALLER: 'yes' };
    const r = runtimes[name].run(['run', '--detach', '--bundle', b.dir, `env-${name}`], { env });
    if (r.code !== 0) throw new Error(`${name} run failed: ${r.stderr}`);
    const started = join(b.rootfs, 'tmp/startContainer.env');
    for (const until = Date.now() + 10_000; Date.now() < until && !(existsSync(started) && readFileSync(started, 'utf8').endsWith('\n'));) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
    expect(runtimes[name].run(['delete', '--force', `env-${name}`], { env }).code).toBe(0);
    return Object.fromEntries(KINDS.map((k) => [k, envOf(k === 'startContainer' ? started : join(dir, `${k}.env`))]));
  }

  it('without env: the runtime\'s own for the hooks it runs, the process\'s for those in the container, as runc', () => {
    const seen = Object.fromEntries(NAMES.map((name) => [name, hookEnvs(name, undefined)]));
    // The caller's environment reaches prestart, createRuntime, poststart and poststop through
    // the runtime; in-container hooks get the process's (deduplicated; HOME once it is set).
    for (const kind of ['prestart', 'createRuntime', 'poststart', 'poststop']) expect(seen.runc[kind], kind).toEqual(['FROM_RUNTIME_CALLER=yes', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin']);
    expect(seen.runc.createContainer).toEqual(['FROM_PROCESS=2', 'PATH=/bin']);
    expect(seen.runc.startContainer).toEqual(['FROM_PROCESS=2', 'HOME=/root', 'PATH=/bin']);
    expect(seen.keel).toEqual(seen.runc);
  });

  it('with env: exactly that list, for every kind, as runc', () => {
    const seen = Object.fromEntries(NAMES.map((name) => [name, hookEnvs(name, ['ONLY=this', 'PATH=/bin:/usr/bin'])]));
    // (PATH is in the list: a shell without one sets its own.)
    for (const kind of KINDS) expect(seen.runc[kind], kind).toEqual(['ONLY=this', 'PATH=/bin:/usr/bin']);
    expect(seen.keel).toEqual(seen.runc);
  });
});

describe('no wait on a hook outlasts its timeout', () => {
  // A state larger than a pipe holds (64 KiB): writing it blocks until the hook reads it.
  const BIG = { 'org.example.big': 'x'.repeat(200 * 1024) };
  /** Kills what a hook left behind in keel's namespaces (it wrote its pid to `file`). */
  const killLeftover = (file: string) => {
    if (!existsSync(file)) return;
    try {
      process.kill(Number(readFileSync(file, 'utf8')), 'SIGKILL');
    } catch {
      // Gone, or it was in the container's PID namespace (the container's deletion kills it).
    }
  };
  const timed = <T>(f: () => T) => {
    const t0 = Date.now();
    const result = f();
    return { result, seconds: (Date.now() - t0) / 1000 };
  };

  for (const kind of ['createRuntime', 'createContainer'] as const) {
    const inside = kind === 'createContainer';
    it(`a ${kind} hook that never reads its stdin (a state larger than a pipe) fails create at its timeout`, () => {
      const b = bundle((s) => {
        s.annotations = BIG;
        s.hooks = { [kind]: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 2 }] };
      });
      const { result: r, seconds } = timed(() => runtimes.keel.run(['create', '--bundle', b.dir, `unread-${kind}`]));
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        inside
          ? 'keel: run createContainer hook 0 "/bin/sleep" inside the container: /bin/sleep did not finish within 2 s\n'
          : 'keel: createRuntime hook 0 (/bin/sleep) did not finish within 2 s\n',
      );
      expect(seconds).toBeLessThan(10);
      expect(runtimes.keel.containers()).not.toContain(`unread-${kind}`);
    });

    it(`a ${kind} hook that exits, leaving a child that holds its stdin unread, does not hold create`, () => {
      const dir = dirFor(`stdin-${kind}`);
      const b = bundle((s) => {
        s.annotations = BIG;
        // The child gets the hook's stdin (fd 3: an asynchronous list's own stdin is /dev/null).
        s.hooks = { [kind]: [sh(`exec 3<&0; sleep 30 0<&3 >/dev/null 2>&1 & echo $! > ${dir}/pid`, { timeout: 10 })] };
      });
      try {
        const { result: r, seconds } = timed(() => runtimes.keel.run(['create', '--bundle', b.dir, `held-stdin-${kind}`]));
        expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
        expect(seconds).toBeLessThan(8);
      } finally {
        if (!inside) killLeftover(join(dir, 'pid'));
        runtimes.keel.run(['delete', '--force', `held-stdin-${kind}`]);
      }
    });

    it(`a ${kind} hook whose child keeps its stdout and stderr open succeeds with a warning, without waiting for the child`, () => {
      const dir = dirFor(`stdout-${kind}`);
      const b = bundle((s) => (s.hooks = { [kind]: [sh(`sleep 30 </dev/null & echo $! > ${dir}/pid`, { timeout: 10 })] }));
      try {
        const { result: r, seconds } = timed(() => runtimes.keel.run(['create', '--bundle', b.dir, `held-stdout-${kind}`]));
        expect(r.code).toBe(0);
        expect(r.stderr).toBe(
          inside
            ? 'keel: warning: hook /bin/sh exited, but a process it started still holds its stdout or stderr open: keel stopped reading it after 200 ms\n'
            : `keel: warning: createRuntime hook 0 (/bin/sh) exited, but a process it started still holds its stdout or stderr open: keel stopped reading it after 200 ms (redirect that process's output, or let it close its inherited descriptors)\n`,
        );
        expect(seconds).toBeLessThan(8);
      } finally {
        if (!inside) killLeftover(join(dir, 'pid'));
        runtimes.keel.run(['delete', '--force', `held-stdout-${kind}`]);
      }
    });
  }

  it('a poststop hook that outlives its timeout is a warning, and delete goes on', () => {
    const b = bundle((s) => (s.hooks = { poststop: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    runtimes.keel.ok(['run', '--detach', '--bundle', b.dir, 'slow-poststop']);
    const { result: r, seconds } = timed(() => runtimes.keel.run(['delete', '--force', 'slow-poststop']));
    expect(r).toEqual({ code: 0, stdout: '', stderr: 'keel: warning: poststop hook 0 (/bin/sleep) did not finish within 1 s\n' });
    expect(seconds).toBeLessThan(8);
    expect(runtimes.keel.containers()).not.toContain('slow-poststop');
  });

  it('a poststart hook that outlives its timeout fails start and stops the container', () => {
    const b = bundle((s) => (s.hooks = { poststart: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] }));
    const keel = runtimes.keel;
    keel.ok(['create', '--bundle', b.dir, 'slow-poststart']);
    const { result: r, seconds } = timed(() => keel.run(['start', 'slow-poststart']));
    expect(r.stderr).toBe('keel: poststart hook 0 (/bin/sleep) did not finish within 1 s: container "slow-poststart" was stopped (keel delete removes it and runs its poststop hooks)\n');
    expect(r.code).toBe(1);
    expect(seconds).toBeLessThan(8);
    expect(JSON.parse(keel.ok(['state', 'slow-poststart'])).status).toBe('stopped');
    keel.ok(['delete', 'slow-poststart']);
  });
});
