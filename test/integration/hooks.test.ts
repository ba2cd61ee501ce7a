/** OCI hooks: each at its point, in the namespace the spec says, with the state on stdin. */
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Hook } from '../../src/spec/types.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

let keel: KeelRoot;
let out: string;
const bundles: Bundle[] = [];

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  out = mkdtempSync(join(tmpdir(), 'keel-hooks-'));
});
afterAll(() => {
  keel.cleanup();
  for (const b of bundles) b.remove();
  rmSync(out, { recursive: true, force: true });
});

/** A hook that records its stdin, environment, mount namespace and turn in `dir`. */
function recorder(kind: string, dir: string): Hook {
  return {
    path: '/bin/sh',
    args: ['sh', '-c', `cat > ${dir}/${kind}.json; echo ${kind} >> ${dir}/order; readlink /proc/self/ns/mnt > ${dir}/${kind}.mnt; echo "$HOOK_ENV" > ${dir}/${kind}.env`],
    env: [`HOOK_ENV=${kind}-env`],
  };
}

describe('hooks', () => {
  it('run in order, each in its namespace, with the state on stdin and their own environment', async () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.hooks = {
        prestart: [recorder('prestart', out)],
        createRuntime: [recorder('createRuntime', out)],
        createContainer: [recorder('createContainer', out)],
        startContainer: [recorder('startContainer', '/tmp')], // a path inside the container
        poststart: [recorder('poststart', out)],
        poststop: [recorder('poststop', out)],
      };
    });
    bundles.push(b);
    keel.ok(['create', '--bundle', b.dir, 'hooked']);
    const { pid } = JSON.parse(keel.ok(['state', 'hooked']));
    const containerMnt = readlinkSync(`/proc/${pid}/ns/mnt`);
    const hostMnt = readlinkSync('/proc/self/ns/mnt');

    expect(readFileSync(join(out, 'order'), 'utf8')).toBe('prestart\ncreateRuntime\ncreateContainer\n');
    expect(readFileSync(join(out, 'createRuntime.mnt'), 'utf8').trim()).toBe(hostMnt);
    expect(readFileSync(join(out, 'createContainer.mnt'), 'utf8').trim()).toBe(containerMnt);
    expect(JSON.parse(readFileSync(join(out, 'createRuntime.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'creating', pid, bundle: b.dir });
    expect(readFileSync(join(out, 'createRuntime.env'), 'utf8')).toBe('createRuntime-env\n');

    keel.ok(['start', 'hooked']);
    expect(readFileSync(join(out, 'order'), 'utf8')).toBe('prestart\ncreateRuntime\ncreateContainer\npoststart\n');
    expect(JSON.parse(readFileSync(join(out, 'poststart.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'running', pid });
    // startContainer ran inside the container (its /tmp is the rootfs's), in its mount namespace,
    // once the init had been released: that is after `start` returned.
    const startMnt = join(b.rootfs, 'tmp/startContainer.mnt');
    expect(await eventually(() => existsSync(startMnt) && readFileSync(startMnt, 'utf8').length > 0)).toBe(true);
    expect(readFileSync(join(b.rootfs, 'tmp/startContainer.mnt'), 'utf8').trim()).toBe(containerMnt);
    expect(JSON.parse(readFileSync(join(b.rootfs, 'tmp/startContainer.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'created', pid: 1 });

    keel.ok(['delete', '--force', 'hooked']);
    expect(readFileSync(join(out, 'order'), 'utf8')).toBe('prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop\n');
    expect(JSON.parse(readFileSync(join(out, 'poststop.json'), 'utf8'))).toMatchObject({ id: 'hooked', status: 'stopped' });
  });

  it('a failing createRuntime hook aborts create and leaves nothing behind', () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = '/keel-hook-test';
      s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
    });
    bundles.push(b);
    const r = keel.run(['create', '--bundle', b.dir, 'hookfail']);
    expect(r).toMatchObject({ code: 1, stderr: 'keel: createRuntime hook 0 (/bin/sh) exited with status 3\n' });
    expect(keel.containers()).not.toContain('hookfail');
    expect(existsSync('/sys/fs/cgroup/memory/keel-hook-test')).toBe(false);
  });

  it('a hook that outlives its timeout is killed and fails create', () => {
    const b = makeBundle((s) => {
      s.hooks = { createContainer: [{ path: '/bin/sleep', args: ['sleep', '30'], timeout: 1 }] };
    });
    bundles.push(b);
    const r = keel.run(['create', '--bundle', b.dir, 'slowhook']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keel: run createContainer hook 0 "/bin/sleep" inside the container: /bin/sleep did not finish within 1 s\n');
    expect(keel.containers()).not.toContain('slowhook');
  });
});
