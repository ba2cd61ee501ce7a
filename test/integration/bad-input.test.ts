/** Bad input: one clear line on stderr, exit 1, and nothing left behind. */
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { mountsMentioning, processesMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;
afterEach(() => {
  // Whatever failed must have left no state, no process and no mount.
  expect(bed.keel.containers()).toEqual([]);
  for (const b of bundles) {
    expect(mountsMentioning(b.dir)).toEqual([]);
    expect(processesMentioning(b.dir)).toEqual([]);
  }
});

function bundleWith(edit: Parameters<typeof makeBundle>[0]): Bundle {
  const b = makeBundle(edit);
  bundles.push(b);
  return b;
}

function createFails(b: Bundle, id = 'bad'): string {
  const r = bed.keel.run(['create', '--bundle', b.dir, id]);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
}

describe('bad input', () => {
  it('invalid JSON names the file', () => {
    const b = bundleWith(() => {});
    writeFileSync(join(b.dir, 'config.json'), '{"ociVersion": "1.0.2",');
    expect(createFails(b)).toMatch(new RegExp(`^keel: ${b.dir}/config.json: invalid JSON: `));
  });

  it('a schema violation names the JSON path', () => {
    const b = bundleWith((s) => {
      s.process!.args = [];
    });
    expect(createFails(b)).toContain('/process/args');
  });

  it('a missing rootfs names the path', () => {
    const b = bundleWith((s) => {
      s.root!.path = 'no-such-rootfs';
    });
    expect(createFails(b)).toBe(`keel: ${b.dir}/config.json: /root/path: root filesystem "${b.dir}/no-such-rootfs" does not exist`);
  });

  it('a program missing from the container fails at create, not at start', () => {
    const b = bundleWith((s) => {
      s.process!.args = ['no-such-program'];
    });
    expect(createFails(b)).toBe('keel: exec: "no-such-program": executable file not found in the container ($PATH: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)');
  });

  it('a duplicate id is refused and the first container is untouched', () => {
    const b = bundleWith((s) => {
      s.process!.args = ['sleep', '1000'];
    });
    bed.keel.ok(['create', '--bundle', b.dir, 'dup']);
    expect(createFails(b, 'dup')).toBe('keel: container "dup" already exists');
    expect(JSON.parse(bed.keel.ok(['state', 'dup'])).status).toBe('created');
    bed.keel.ok(['delete', '--force', 'dup']);
  });

  it.each(['../escape', 'a/b', 'white space', '..'])('an invalid id %j is refused', (id) => {
    const b = bundleWith(() => {});
    expect(createFails(b, id)).toBe(`keel: invalid container id "${id}": use letters, digits, "_", "+", "-" and "." only`);
  });

  it.each([['state'], ['start'], ['kill'], ['delete']])('%s of an unknown id says it does not exist', (verb) => {
    const r = bed.keel.run([verb, 'nope']);
    expect(r).toMatchObject({ code: 1, stderr: 'keel: container "nope" does not exist\n' });
  });

  it('a mount destination whose symlink points out of the rootfs at a missing path is created inside the rootfs, the host untouched', () => {
    const b = bundleWith((s) => {
      s.process!.args = ['true'];
      s.mounts!.push({ destination: '/evil/sub', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    });
    const hostTarget = join(b.dir, 'host-target');
    mkdirSync(hostTarget);
    symlinkSync(hostTarget, join(b.rootfs, 'evil'));
    bed.keel.ok(['run', '--bundle', b.dir, 'escape']);
    expect(existsSync(join(b.rootfs, hostTarget, 'sub'))).toBe(true);
    expect(readdirSync(hostTarget)).toEqual([]);
  });

  it('a symlink in a mount destination is followed inside the rootfs, never on the host', () => {
    const b = bundleWith((s) => {
      s.process!.args = ['true'];
      s.mounts!.push({ destination: '/evil/sub', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    });
    // An absolute symlink to /etc: on the host that is the host's /etc, inside the rootfs its own.
    symlinkSync('/etc', join(b.rootfs, 'evil'));
    bed.keel.ok(['run', '--bundle', b.dir, 'inside']);
    expect(existsSync(join(b.rootfs, 'etc/sub'))).toBe(true);
    expect(existsSync('/etc/sub')).toBe(false);
  });

  it('writes a JSON error line to --log with --log-format json', () => {
    const b = bundleWith((s) => {
      s.root!.path = 'missing';
    });
    const logFile = join(b.dir, 'log.json');
    const r = bed.keel.run(['--log', logFile, '--log-format', 'json', 'create', '--bundle', b.dir, 'logged']);
    expect(r.code).toBe(1);
    const line = JSON.parse(readFileSync(logFile, 'utf8').trim().split('\n').pop()!);
    expect(line).toMatchObject({ level: 'error', msg: expect.stringContaining('root filesystem') });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('writes a usage error (an unknown verb) to --log too, where containerd looks for it', () => {
    const b = bundleWith(() => {});
    const logFile = join(b.dir, 'log.json');
    const r = bed.keel.run(['--log', logFile, '--log-format', 'json', 'no-such-verb', '--process', '/p', 'c1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keel: unknown command "no-such-verb": run "keel --help" for the list\n');
    const line = JSON.parse(readFileSync(logFile, 'utf8').trim());
    expect(line).toMatchObject({ level: 'error', msg: 'unknown command "no-such-verb": run "keel --help" for the list' });
  });
});
