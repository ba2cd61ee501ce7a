/**
 * What the container process is given, checked on a real container: ids the kernel would ignore,
 * limits, environment and strings the kernel would cut short. Refused configs leave nothing behind.
 */
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { mountsMentioning, processesMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const ID = `policy-${process.pid}`;
let running: ReturnType<typeof bed.bundle>;

beforeAll(() => {
  running = bed.bundle((s) => {
    s.process!.args = ['sleep', '1000'];
  });
  bed.keel.ok(['run', '--detach', '--bundle', running.dir, ID]);
});
afterAll(() => {
  bed.keel.run(['delete', '--force', ID]);
});

/** `keel run` of a one-shot container: its stdout, or throws with keel's stderr. */
function runOnce(edit: (s: Spec) => void): string {
  const b = bed.bundle(edit);
  const id = `policy-run-${process.pid}-${bed.bundles.length}`;
  return bed.keel.ok(['run', '--bundle', b.dir, id]);
}

/** create must fail with one line on stderr and leave no state, process or mount. */
function createFails(edit: (s: Spec) => void): string {
  const b = bed.bundle(edit);
  const id = `policy-bad-${process.pid}-${bed.bundles.length}`;
  const r = bed.keel.run(['create', '--bundle', b.dir, id]);
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(bed.keel.containers()).toEqual([ID]);
  expect(mountsMentioning(b.dir)).toEqual([]);
  expect(processesMentioning(b.dir)).toEqual([]);
  return lines[0]!;
}

function execFails(args: string[]): string {
  const r = bed.keel.run(['exec', ...args]);
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('process.user', () => {
  it('refuses uid or gid 4294967295 (-1), which would leave the process root', () => {
    expect(createFails((s) => (s.process!.user = { uid: 4294967295, gid: 4294967295 }))).toMatch(/config\.json: \/process\/user\/uid: 4294967295 is not a usable id: uids and gids must be in 0-2147483647/);
    expect(createFails((s) => (s.process!.user = { uid: 1000, gid: 1000, additionalGids: [4294967295] }))).toMatch(/\/process\/user\/additionalGids\/0: 4294967295 is not a usable id/);
  });

  it('refuses them in exec: --user, --additional-gids and a --process file', () => {
    expect(execFails(['--user', '4294967295', ID, 'id'])).toMatch(/^keel: --user "4294967295": 4294967295 is not a usable id/);
    expect(execFails(['--user', '1000:4294967295', ID, 'id'])).toMatch(/^keel: --user "1000:4294967295": 4294967295 is not a usable id/);
    expect(execFails(['--additional-gids', '4294967295', ID, 'id'])).toMatch(/^keel: --additional-gids: 4294967295 is not a usable id/);
    const file = join(running.dir, 'uid-process.json');
    writeFileSync(file, JSON.stringify({ args: ['id'], cwd: '/', user: { uid: 4294967295, gid: 4294967295 } }));
    expect(execFails(['--process', file, ID])).toBe(`keel: ${file}: /user/uid: 4294967295 is not a usable id: uids and gids must be in 0-2147483647 (4294967295, which is -1, would leave the process root)`);
  });

  it('still runs a process as a uid up to 2^31-1', () => {
    expect(bed.keel.ok(['exec', '--user', '2147483647:2147483647', ID, 'sh', '-c', 'id -u; id -g'])).toBe('2147483647\n2147483647\n');
  });
});

describe('process.user.additionalGids', () => {
  it('gives a gid listed twice once, as runc (7 7 8: groups 7 8)', () => {
    expect(runOnce((s) => {
      s.process!.args = ['sh', '-c', 'cat /proc/self/status | grep ^Groups'];
      s.process!.user = { uid: 0, gid: 0, additionalGids: [7, 7, 8] };
    })).toBe('Groups:\t7 8 \n');
  });
});

describe('process.rlimits', () => {
  it('reads hard 18446744073709551615 as unlimited (podman --ulimit core=-1)', () => {
    const b = bed.bundle((s) => {
      s.process!.args = ['grep', 'Max core file size', '/proc/self/limits'];
      s.process!.rlimits = [{ type: 'RLIMIT_CORE', hard: 123454321, soft: 1000 }];
    });
    // Written as text: JSON.stringify cannot write 2^64-1 exactly, and an engine's Go encoder does.
    const config = readFileSync(join(b.dir, 'config.json'), 'utf8').replace('123454321', '18446744073709551615');
    writeFileSync(join(b.dir, 'config.json'), config);
    expect(bed.keel.ok(['run', '--bundle', b.dir, `policy-core-${process.pid}`])).toMatch(/^Max core file size\s+1000\s+unlimited\s+bytes\s*$/);
  });

  it('refuses a limit above 2^53 that is not unlimited, naming the field', () => {
    expect(createFails((s) => (s.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 1000, hard: 2 ** 60 }]))).toMatch(
      /config\.json: \/process\/rlimits\/0\/hard: 1152921504606846976 is above 2\^53 and cannot be read exactly: use an integer from 0 to 9007199254740991, or 18446744073709551615 for unlimited$/,
    );
  });
});

describe('process.env', () => {
  it('gives each name once, its last value, as runc (getenv sees A=2, PATH=/bin)', () => {
    const out = runOnce((s) => {
      s.process!.args = ['/bin/env'];
      s.process!.env = ['PATH=/nonexist', 'B=1', 'PATH=/bin', 'A=1', 'A=2'];
    });
    expect(out).toBe('PATH=/bin\nB=1\nA=2\nHOME=/root\n');
  });

  it('does the same for exec: the container env, --env and a --process file', () => {
    expect(bed.keel.ok(['exec', '--env', 'A=1', '--env', 'A=2', '--env', 'PATH=/bin', ID, '/bin/env'])).toMatch(/^PATH=\/bin\n(?:.*\n)*A=2\n/);
    expect(bed.keel.ok(['exec', '--env', 'A=1', '--env', 'A=2', ID, '/bin/env']).match(/^A=/gm)).toEqual(['A=']);
    const file = join(running.dir, 'env-process.json');
    writeFileSync(file, JSON.stringify({ args: ['/bin/env'], cwd: '/', env: ['X=1', 'PATH=/bin', 'X=2'] }));
    expect(bed.keel.ok(['exec', '--process', file, ID])).toBe('X=2\nPATH=/bin\nHOME=/root\n');
  });
});

describe('NUL bytes', () => {
  it('refuses env, args and cwd holding U+0000 instead of cutting them short', () => {
    expect(createFails((s) => s.process!.env!.push('A=x\u0000y'))).toMatch(/config\.json: \/process\/env\/\d+: contains a NUL byte \(\\u0000\), where the kernel would cut the string short: remove it$/);
    expect(createFails((s) => (s.process!.args = ['echo', 'a\u0000b']))).toMatch(/config\.json: \/process\/args\/1: contains a NUL byte/);
    expect(createFails((s) => (s.process!.cwd = '/tmp\u0000/x'))).toMatch(/config\.json: \/process\/cwd: contains a NUL byte/);
  });

  it('refuses them in an exec --process file', () => {
    const file = join(running.dir, 'nul-process.json');
    writeFileSync(file, JSON.stringify({ args: ['/bin/env'], cwd: '/', env: ['PATH=/bin', 'A=x\u0000y'] }));
    expect(execFails(['--process', file, ID])).toBe(`keel: ${file}: /env/1: contains a NUL byte (\\u0000), where the kernel would cut the string short: remove it`);
    writeFileSync(file, JSON.stringify({ args: ['/bin/pwd'], cwd: '/tmp\u0000/x' }));
    expect(execFails(['--process', file, ID])).toBe(`keel: ${file}: /cwd: contains a NUL byte (\\u0000), where the kernel would cut the string short: remove it`);
  });
});

describe('HOME', () => {
  it("defaults to the user's home in the rootfs's /etc/passwd, as runc (create and exec)", () => {
    expect(runOnce((s) => (s.process!.args = ['sh', '-c', 'echo $HOME']))).toBe('/root\n');
    expect(runOnce((s) => {
      s.process!.args = ['sh', '-c', 'echo $HOME'];
      s.process!.user = { uid: 1234, gid: 1234 };
    })).toBe('/\n');
    expect(bed.keel.ok(['exec', ID, 'sh', '-c', 'echo $HOME'])).toBe('/root\n');
  });

  it("never reads the host's file through an /etc/passwd symlink out of the rootfs", () => {
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'echo $HOME'];
      s.process!.user = { uid: 4321, gid: 4321 };
    });
    // A host passwd with an entry for uid 4321, reached by an absolute and a relative symlink.
    const hostDir = join(b.dir, 'host-etc');
    mkdirSync(hostDir);
    writeFileSync(join(hostDir, 'passwd'), 'leak:x:4321:4321::/host-secret:/bin/sh\n');
    rmSync(join(b.rootfs, 'etc/passwd'));
    symlinkSync(join(hostDir, 'passwd'), join(b.rootfs, 'etc/passwd'));
    expect(bed.keel.ok(['run', '--bundle', b.dir, `policy-home-${process.pid}`])).toBe('/\n');
    rmSync(join(b.rootfs, 'etc/passwd'));
    symlinkSync('../../host-etc/passwd', join(b.rootfs, 'etc/passwd'));
    expect(bed.keel.ok(['run', '--bundle', b.dir, `policy-home2-${process.pid}`])).toBe('/\n');
  });
});
