/**
 * The shim's command line as containerd 1.6 passes it, mount arguments and stdio URIs. The socket
 * name and grouping rules are native/launch/shim-rules.c's, tested in shim-rules.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { parseShimFlags } from '../../../src/shim/address.js';
import { outputTarget } from '../../../src/shim/stdio-uri.js';

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

describe('outputTarget', () => {
  it('takes fifo paths, file:// URIs and nothing', () => {
    expect(outputTarget('/run/fifo/x-stdout')).toEqual({ kind: 'fifo', path: '/run/fifo/x-stdout' });
    expect(outputTarget('file:///var/log/c%20x.log')).toEqual({ kind: 'file', path: '/var/log/c x.log' });
    expect(outputTarget('')).toEqual({ kind: 'null' });
    expect(() => outputTarget('syslog://x')).toThrow('stdio "syslog://x": unknown scheme');
  });

  // containerd's NewBinaryCmd: the URI's path, then each query key and its first value, as Go's
  // url.ParseQuery reads them ("+" is a space, a key without "=" has the value "").
  it('takes binary:// URIs as the logging program and its arguments', () => {
    expect(outputTarget('binary:///usr/local/bin/my%20logger?id=c1&flag&name=a+b&id=c2')).toEqual({
      kind: 'binary',
      path: '/usr/local/bin/my logger',
      args: ['id', 'c1', 'flag', '', 'name', 'a b'],
    });
    expect(outputTarget('binary:///bin/logger')).toEqual({ kind: 'binary', path: '/bin/logger', args: [] });
    expect(() => outputTarget('binary://')).toThrow('stdio "binary://": a binary:// URI names the logging program by its absolute path');
  });
});
