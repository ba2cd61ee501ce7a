/**
 * The shim's command line as containerd 1.6 passes it, mount arguments and stdio URIs. The socket
 * name and grouping rules are native/launch/shim-rules.c's, tested in shim-rules.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { parseShimFlags } from '../../../src/shim/address.js';
import { mountArgs } from '../../../src/shim/rootfs.js';
import { outputTarget } from '../../../src/shim/process-io.js';

describe('parseShimFlags', () => {
  it("reads containerd 1.6's start command line (client.Command, then -id and -debug, then the action)", () => {
    const argv = ['-namespace', 'k8s.io', '-address', '/run/containerd/containerd.sock', '-publish-binary', '/usr/bin/containerd', '-id', 'abc', '-debug', 'start'];
    expect(parseShimFlags(argv)).toEqual({
      namespace: 'k8s.io',
      address: '/run/containerd/containerd.sock',
      publishBinary: '/usr/bin/containerd',
      id: 'abc',
      bundle: '',
      debug: true,
      action: 'start',
    });
  });

  it('reads delete with -bundle, --flag=value forms, and no action for the long-lived shim', () => {
    expect(parseShimFlags(['--namespace=ns', '-id', 'x', '-bundle', '/b', 'delete'])).toMatchObject({ namespace: 'ns', id: 'x', bundle: '/b', action: 'delete' });
    expect(parseShimFlags(['-namespace', 'ns', '-id', 'x'])).toMatchObject({ action: '', debug: false });
  });

  it('refuses an unknown flag and a flag without its value, as Go does', () => {
    expect(() => parseShimFlags(['-bogus', 'x'])).toThrow('flag provided but not defined: -bogus');
    expect(() => parseShimFlags(['-id'])).toThrow('flag needs an argument: -id');
  });
});

describe('mountArgs', () => {
  it("mounts an overlay snapshot with its options, as containerd's overlayfs snapshotter sends it", () => {
    const m = { type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'workdir=/s/2/work', 'upperdir=/s/2/fs', 'lowerdir=/s/1/fs'] };
    expect(mountArgs(m, '/b/rootfs')).toEqual(['-t', 'overlay', '-o', 'index=off,workdir=/s/2/work,upperdir=/s/2/fs,lowerdir=/s/1/fs', 'overlay', '/b/rootfs']);
  });

  it('passes a bind as an option, not as a file system type', () => {
    expect(mountArgs({ type: 'bind', source: '/s/1/fs', target: '', options: ['rbind', 'ro'] }, '/r')).toEqual(['-o', 'rbind,ro', '/s/1/fs', '/r']);
  });
});

describe('outputTarget', () => {
  it('takes fifo paths, file:// URIs and nothing; refuses binary:// naming the URI', () => {
    expect(outputTarget('/run/fifo/x-stdout')).toEqual({ kind: 'fifo', path: '/run/fifo/x-stdout' });
    expect(outputTarget('file:///var/log/c%20x.log')).toEqual({ kind: 'file', path: '/var/log/c x.log' });
    expect(outputTarget('')).toEqual({ kind: 'null' });
    expect(() => outputTarget('binary:///usr/bin/logger?a=b')).toThrow(/stdio "binary:\/\/\/usr\/bin\/logger\?a=b": binary:\/\/ logging is not supported/);
  });
});
