/**
 * When an op of several calls fails inside keel-init, keel names the call and its object, as runc
 * and crun name theirs ("mkdir .../afile: not a directory"), instead of one errno for the whole op.
 * Each config here fails under runc too; the test checks that and that keel says which step it was.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import type { Bundle } from '../helpers/bundle.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Spec } from '../../src/spec/types.js';

const bed = useTestbed();
afterEach(() => expect(bed.keel.containers()).toEqual([]));

let seq = 0;
/** keel's stderr for `run` on a bundle with a regular file /afile in its rootfs; runc must refuse the same bundle. */
function failure(edit: (s: Spec, b: { rootfs: string }) => void): string {
  const b: Bundle = bed.bundle((s) => {
    s.process!.args = ['true'];
  });
  writeFileSync(join(b.rootfs, 'afile'), 'a file, not a directory\n');
  edit(b.spec, b);
  b.save();
  const keel = bed.keel.run(['run', '--bundle', b.dir, `init-errors-${process.pid}-${seq++}`]);
  const runc = new RuncRoot();
  try {
    const r = runc.run(['run', '--bundle', b.dir, `init-errors-runc-${process.pid}-${seq++}`]);
    expect(r.code, `runc accepted the config: ${r.stdout}`).not.toBe(0);
  } finally {
    runc.cleanup();
  }
  expect(keel.code).toBe(1);
  expect(keel.stderr.split('\n')).toHaveLength(2); // one line, then the final newline
  return keel.stderr;
}

describe('an op that fails inside keel-init', () => {
  it('a mount names the destination it could not open in the root', () => {
    const stderr = failure((s) => s.mounts!.push({ destination: '/afile/sub', type: 'tmpfs', source: 'tmpfs' }));
    expect(stderr).toBe('keel: mount tmpfs "tmpfs" on "/afile/sub": open "/afile/sub" in the container root: not a directory\n');
  });

  it('a mount names the mount call, with the filesystem type', () => {
    const stderr = failure((s) => s.mounts!.push({ destination: '/mnt', type: 'nosuchfs', source: 'x' }));
    expect(stderr).toBe('keel: mount nosuchfs "x" on "/mnt": mount -t nosuchfs: no such device\n');
  });

  it('a device names the directory it could not make or open for the node', () => {
    const stderr = failure((s) => (s.linux!.devices = [{ path: '/afile/null2', type: 'c', major: 1, minor: 3 }]));
    expect(stderr).toBe('keel: create device "/afile/null2" (c 1:3, mode 0666, owner 0:0): open the directory of "/afile/null2" in the container root: not a directory\n');
  });

  it('joining a namespace tells opening the path from setns refusing it', () => {
    const stderr = failure((s, { rootfs }) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((ns) => (ns.type === 'network' ? { type: 'network', path: join(rootfs, 'afile') } : ns));
    });
    expect(stderr).toMatch(/^keel: join the network namespace at "[^"]+\/afile": setns: invalid argument\n$/);
  });

  it('becoming root of a user namespace names the id that is not mapped', () => {
    const stderr = failure((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 1000, hostID: 100000, size: 1 }];
      s.linux!.gidMappings = [{ containerID: 1000, hostID: 100000, size: 1 }];
    });
    expect(stderr).toBe('keel: become uid 0, gid 0 in the new user namespace: setresgid 0: invalid argument\n');
  });
});

describe('a write of a file in /proc (sysctl, oom_score_adj, time namespace offsets, LSM labels)', () => {
  it('tells opening the file from the kernel refusing the value', () => {
    const stderr = failure((s) => (s.linux!.sysctl = { 'net.ipv4.ip_forward': 'abc' }));
    expect(stderr).toBe('keel: write "abc" to "/proc/sys/net/ipv4/ip_forward" (sysctl net.ipv4.ip_forward): write: invalid argument\n');
  });
});
