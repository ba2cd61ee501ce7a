/**
 * keel beside runc: the same exec and hook cases, on the same kind of bundle, under both
 * runtimes, and the outcomes compared (exit codes, outputs; for errors, that both fail). Where
 * keel differs from runc on purpose, README.md says so ("Differences from runc").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Hook, Spec } from '../../src/spec/types.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { CLEAN_ENV, KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { RUNC, RuncRoot } from '../helpers/runc.js';

const NAMES = ['keel', 'runc'] as const;
type Name = (typeof NAMES)[number];

const runtimes = {} as Record<Name, KeelRoot>;
const bundles: Bundle[] = [];
const target = (name: Name) => `parity-${name}-${process.pid}`;
const PTY_RUN = join(new URL('..', import.meta.url).pathname, 'helpers/pty-run.py');

function bundle(edit: (s: Spec) => void): Bundle {
  const b = makeBundle(edit);
  bundles.push(b);
  return b;
}

/** The same case under both runtimes. */
function both<T>(each: (rt: KeelRoot, name: Name) => T): Record<Name, T> {
  return { keel: each(runtimes.keel, 'keel'), runc: each(runtimes.runc, 'runc') };
}

/** Waits (up to 10 s) until the file at `path` holds `text`. */
function waitForText(path: string, text: string): void {
  for (const until = Date.now() + 10_000; Date.now() < until; spawnSync('sleep', ['0.1'])) {
    if (existsSync(path) && readFileSync(path, 'utf8').includes(text)) return;
  }
  throw new Error(`${path} did not come to hold "${text}"`);
}

const status = (rt: KeelRoot, id: string) => JSON.parse(rt.ok(['state', id])).status as string;

beforeAll(() => {
  requireRootAndBuild();
  if (!existsSync(RUNC)) throw new Error(`${RUNC} is missing: run "make host-deps" (it installs runc)`);
  runtimes.keel = new KeelRoot();
  runtimes.runc = new RuncRoot();
  // A container to exec into, per runtime, with a gid of its own (for --user uid alone).
  for (const name of NAMES) {
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.process!.env = ['PATH=/bin', 'FROM_CONFIG=yes'];
      s.process!.user = { uid: 0, gid: 10 };
      s.hostname = 'parity';
    });
    runtimes[name].ok(['run', '--detach', '--bundle', b.dir, target(name)]);
  }
});
afterAll(() => {
  for (const name of NAMES) runtimes[name]?.cleanup();
  for (const b of bundles) b.remove();
});

describe('exec, side by side with runc', () => {
  it('propagates exit codes alike (a killed process: 128 + signal)', () => {
    const codes = both((rt, name) => [
      rt.run(['exec', target(name), 'sh', '-c', 'exit 5']).code,
      rt.run(['exec', target(name), 'true']).code,
      rt.run(['exec', target(name), 'sh', '-c', 'kill -9 $$']).code,
    ]);
    expect(codes.runc).toEqual([5, 0, 137]);
    expect(codes.keel).toEqual(codes.runc);
  });

  it('--env adds to the container\'s environment alike', () => {
    const out = both((rt, name) => rt.ok(['exec', '--env', 'EXTRA=1', '--env', 'FROM_CONFIG=overridden', target(name), 'sh', '-c', 'echo $EXTRA $FROM_CONFIG; hostname']));
    expect(out.runc).toBe('1 overridden\nparity\n');
    expect(out.keel).toBe(out.runc);
  });

  it('--cwd and --user (uid:gid, and a uid alone keeping the container\'s gid) alike', () => {
    const out = both((rt, name) => [
      rt.ok(['exec', '--cwd', '/tmp', target(name), 'pwd']),
      rt.ok(['exec', '--user', '1000:1001', target(name), 'sh', '-c', 'id -u; id -g']),
      rt.ok(['exec', '--user', '1000', target(name), 'sh', '-c', 'id -u; id -g']),
    ]);
    expect(out.runc).toEqual(['/tmp\n', '1000\n1001\n', '1000\n10\n']);
    expect(out.keel).toEqual(out.runc);
  });

  it('an exec\'d process and the init each lead their own session and process group, alike', () => {
    // Fields 5 and 6 of /proc/PID/stat are getpgrp() and getsid(0) as the container sees them
    // (0 when the group lies outside the container's PID namespace). $$ is the shell itself.
    const ids = (pid: string) => `read -r pid comm state ppid pgrp sid rest < /proc/${pid}/stat; echo $pid $pgrp $sid`;
    const out = both((rt, name) => [rt.ok(['exec', target(name), 'sh', '-c', ids('$$')]), rt.ok(['exec', '-d', target(name), 'sh', '-c', `${ids('$$')} > /tmp/detached-ids`])]);
    const detached = both((_rt, name) => {
      waitForText(join(bundles[NAMES.indexOf(name)].rootfs, 'tmp/detached-ids'), '\n');
      return readFileSync(join(bundles[NAMES.indexOf(name)].rootfs, 'tmp/detached-ids'), 'utf8');
    });
    const init = both((rt, name) => rt.ok(['exec', target(name), 'sh', '-c', ids('1')]));
    for (const name of NAMES) {
      const [pid, pgrp, sid] = out[name][0].trim().split(' ');
      expect({ name, pgrp, sid }).toEqual({ name, pgrp: pid, sid: pid });
      const [dpid, dpgrp, dsid] = detached[name].trim().split(' ');
      expect({ name, dpgrp, dsid }).toEqual({ name, dpgrp: dpid, dsid: dpid });
      expect(init[name]).toBe('1 1 1\n');
    }
  });

  it('a missing program fails under both', () => {
    const codes = both((rt, name) => rt.run(['exec', target(name), 'no-such-program']).code);
    expect(codes.runc).not.toBe(0);
    expect(codes.keel).not.toBe(0);
  });

  it('exec into a paused container fails under both', () => {
    const r = both((rt, name) => {
      rt.ok(['pause', target(name)]);
      try {
        return rt.run(['exec', target(name), 'true']);
      } finally {
        rt.ok(['resume', target(name)]);
      }
    });
    expect(r.runc.code).not.toBe(0);
    expect(r.keel.code).not.toBe(0);
    expect(r.runc.stderr).toMatch(/paused/);
    expect(r.keel.stderr).toMatch(/paused/);
  });

  it('exec into a stopped container fails under both', async () => {
    const r = await Promise.all(
      NAMES.map(async (name) => {
        const rt = runtimes[name];
        const id = `parity-stopped-${name}-${process.pid}`;
        const b = bundle((s) => (s.process!.args = ['true']));
        rt.ok(['run', '--detach', '--bundle', b.dir, id]);
        expect(await eventually(() => status(rt, id) === 'stopped')).toBe(true);
        const exec = rt.run(['exec', id, 'true']);
        rt.ok(['delete', id]);
        return exec;
      }),
    );
    expect(r[0]!.code).not.toBe(0);
    expect(r[1]!.code).not.toBe(0);
    expect(r[0]!.stderr).toMatch(/stopped/);
    expect(r[1]!.stderr).toMatch(/stopped|not running/);
  });

  it('exec -t at a terminal, without a console socket, relays it under both', () => {
    const r = both((rt, name) => {
      const p = spawnSync('python3', [PTY_RUN, '25', '90', JSON.stringify([{ expect: '# ' }, { send: 'echo h""i; stty size; exit 3\n' }]), '--', rt.binary, '--root', rt.root, 'exec', '-t', target(name), 'sh'], {
        env: CLEAN_ENV,
        encoding: 'utf8',
        timeout: 40_000,
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return JSON.parse(p.stdout) as { code: number; output: string; restored: boolean };
    });
    for (const name of NAMES) {
      expect(r[name].code, name).toBe(3);
      expect(r[name].output, name).toMatch(/^hi\r?$/m);
      expect(r[name].output, name).toMatch(/^25 90\r?$/m);
      expect(r[name].restored, name).toBe(true);
    }
  });
});

describe('hooks, side by side with runc', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'keel-parity-hooks-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  const KINDS = ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'] as const;
  const recorder = (kind: string, dir: string): Hook => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${dir}/${kind}.json; echo ${kind} >> ${dir}/order`] });

  it('hooks see the same state on stdin, in the same order', () => {
    const seen = both((rt, name) => {
      const dir = join(out, name);
      rmSync(dir, { recursive: true, force: true });
      spawnSync('mkdir', ['-p', dir]);
      const b = bundle((s) => {
        s.process!.args = ['sleep', '1000'];
        s.annotations = { 'org.example.parity': 'yes' };
        s.hooks = { ...Object.fromEntries(KINDS.map((k) => [k, [recorder(k, dir)]])), startContainer: [recorder('startContainer', '/tmp')] };
      });
      const id = `parity-hooks-${name}-${process.pid}`;
      rt.ok(['create', '--bundle', b.dir, id]);
      const pid = JSON.parse(rt.ok(['state', id])).pid as number;
      rt.ok(['start', id]);
      // startContainer runs inside the container, before the user's program: it writes to the rootfs's /tmp.
      const started = join(b.rootfs, 'tmp/startContainer.json');
      waitForText(started, '"status"');
      rt.ok(['delete', '--force', id]);
      const states = Object.fromEntries(KINDS.map((k) => [k, JSON.parse(readFileSync(join(dir, `${k}.json`), 'utf8'))]));
      states.startContainer = JSON.parse(readFileSync(started, 'utf8'));
      return { pid, bundle: b.dir, id, order: readFileSync(join(dir, 'order'), 'utf8'), states };
    });
    expect(seen.keel.order).toBe(seen.runc.order);
    for (const kind of [...KINDS, 'startContainer']) {
      const shape = (name: Name) => {
        const { ociVersion: _version, pid, bundle: dir, id, ...rest } = seen[name].states[kind];
        // The version is each runtime's own (runc 1.1 reports 1.0.2-dev); the rest must agree.
        // Hooks inside the container see the pid from inside (1 in its PID namespace); the others, the host's.
        const inside = kind === 'createContainer' || kind === 'startContainer';
        return { ...rest, keys: Object.keys(seen[name].states[kind]).sort(), pid: inside ? pid : pid === seen[name].pid, bundleIsOwn: dir === seen[name].bundle, idIsOwn: id === seen[name].id };
      };
      const [keel, runc] = [shape('keel'), shape('runc')];
      if (kind === 'poststart') {
        // On purpose (README): poststart runs after the user's process has started, so keel says
        // "running"; runc 1.1 says "created".
        expect(keel.status).toBe('running');
        keel.status = runc.status;
      }
      expect(keel, kind).toEqual(runc);
    }
    expect(seen.runc.states.createContainer.pid).toBe(1);
    expect(seen.runc.states.createRuntime).toMatchObject({ status: 'creating', annotations: { 'org.example.parity': 'yes' } });
  });
});

describe('the process environment and groups, side by side with runc', () => {
  it('gives duplicate env names once, HOME from /etc/passwd, and duplicate additional gids once, alike', () => {
    const out = both((rt, name) => {
      const b = bundle((s) => {
        // /proc/1/environ: the environment as execve got it (sh itself reorders what env shows).
        s.process!.args = ['sh', '-c', 'tr "\\0" "\\n" < /proc/1/environ; grep ^Groups /proc/self/status'];
        s.process!.env = ['PATH=/nonexist', 'B=1', 'PATH=/bin', 'A=1', 'A=2'];
        s.process!.user = { uid: 0, gid: 0, additionalGids: [7, 7, 8] };
      });
      return rt.ok(['run', '--bundle', b.dir, `parity-env-${name}-${process.pid}`]);
    });
    expect(out.runc).toBe('PATH=/bin\nB=1\nA=2\nHOME=/root\nGroups:\t7 8 \n');
    expect(out.keel).toBe(out.runc);
  });

  it('exec --env with a name given twice, and HOME, alike', () => {
    const out = both((rt, name) => rt.ok(['exec', '--env', 'A=1', '--env', 'FROM_CONFIG=x', '--env', 'A=2', target(name), 'env']));
    expect(out.keel).toBe(out.runc);
  });
});

describe("stdio that is the host's /dev/null, side by side with runc", () => {
  // fd 0: what it is, and the mount point of its mount when that mount is one of the container's
  // (runc reopens the host's /dev/null as the container's own where /dev is the container's; CRIU
  // cannot dump an fd on a mount the container does not have: podman's checkpoint failed so).
  const SCRIPT =
    'm=$(sed -n "s/^mnt_id:[[:space:]]*//p" /proc/$$/fdinfo/0); ' +
    'echo "0 $(readlink /proc/$$/fd/0) $(awk -v m=$m \'$1 == m {print $5}\' /proc/$$/mountinfo)"';
  const stdioUnderBoth = (edit: (s: Spec) => void) =>
    both((rt, name) => {
      const b = bundle((s) => {
        s.process!.args = ['sh', '-c', `{ ${SCRIPT}; } >/report.tmp; mv /report.tmp /report`];
        edit(s);
      });
      // Detached, as engines run it, the runtime hands its own stdio on: stdin is the host's /dev/null.
      const id = `parity-null-${name}-${process.pid}`;
      rt.ok(['run', '--detach', '--bundle', b.dir, id]);
      waitForText(join(b.rootfs, 'report'), '\n');
      rt.ok(['delete', '--force', id]);
      return readFileSync(join(b.rootfs, 'report'), 'utf8');
    });

  it("becomes the container's own /dev/null where /dev is the container's, alike", () => {
    const out = stdioUnderBoth(() => {});
    expect(out.runc).toBe('0 /dev/null /dev\n');
    expect(out.keel).toBe(out.runc);
  });

  it("stays the host's where /dev is a bind of the host's /dev, alike", () => {
    const out = stdioUnderBoth((s) => {
      s.mounts = [...(s.mounts ?? []).filter((m) => !m.destination.startsWith('/dev')), { destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }];
      s.linux!.devices = [];
    });
    expect(out.runc).toBe('0 /dev/null \n');
    expect(out.keel).toBe(out.runc);
  });
});

describe('linux.devices, side by side with runc', () => {
  it('a device path with a trailing slash or a doubled one is the node at the clean path, alike', () => {
    const out = both((rt, name) => {
      const b = bundle((s) => {
        s.process!.args = ['sh', '-c', 'stat -c "%n %F %t:%T %a" /dev/trailing /dev/sub/doubled /dev/null'];
        s.linux!.devices = [
          { path: '/dev/trailing/', type: 'c', major: 1, minor: 3, fileMode: 0o640 },
          { path: '/dev/sub//doubled/', type: 'c', major: 1, minor: 5 },
        ];
      });
      return rt.run(['run', '--bundle', b.dir, `parity-dev-${name}-${process.pid}`]);
    });
    expect(out.runc).toMatchObject({ code: 0, stdout: '/dev/trailing character special file 1:3 640\n/dev/sub/doubled character special file 1:5 666\n/dev/null character special file 1:3 666\n' });
    expect(out.keel).toEqual(out.runc);
  });

  it('an entry for a default device with a trailing slash replaces the default (README: runc keeps the default)', () => {
    const b = bundle((s) => {
      s.process!.args = ['stat', '-c', '%n %t:%T %a', '/dev/null'];
      s.linux!.devices = [{ path: '/dev/null/', type: 'c', major: 1, minor: 3, fileMode: 0o600 }];
    });
    expect(runtimes.keel.ok(['run', '--bundle', b.dir, `parity-devnull-${process.pid}`])).toBe('/dev/null 1:3 600\n');
  });
});
