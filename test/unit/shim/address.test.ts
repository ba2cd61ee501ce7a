/**
 * containerd's rules for shims, against what containerd 1.6.20 and its runc shim did on this
 * project's machine: the socket of a task run with `ctr -a /tmp/shimtry/ctd/containerd.sock
 * -n shimtry run -d ... addr1` (runc's shim) was written to its bundle's "address" file as below.
 */
import { describe, expect, it } from 'vitest';

import { groupOf, parseShimFlags, socketAddress } from '../../../src/shim/address.js';
import { outputTarget } from '../../../src/shim/stdio-uri.js';

describe('socketAddress', () => {
  it("names the socket as containerd's runc shim does", () => {
    expect(socketAddress('/tmp/shimtry/ctd/containerd.sock', 'shimtry', 'addr1')).toBe('unix:///run/containerd/s/bbe149e5089c41fe7954b9c3e31d619b98f829b9043b32c401fae8cc971a492f');
  });

  it("joins as Go's filepath.Join: a trailing or doubled slash makes no other name", () => {
    // sha256sum of "/run/containerd/containerd.sock/default/demo"
    const want = 'unix:///run/containerd/s/12117510a54ae87cb9f59e68c4b6897783ff70cec968b5b5967a0a0cd503057e';
    expect(socketAddress('/run/containerd/containerd.sock', 'default', 'demo')).toBe(want);
    expect(socketAddress('/run/containerd//containerd.sock/', 'default', 'demo')).toBe(want);
  });
});

describe('groupOf', () => {
  it("puts a pod's containers in one shim by the CRI sandbox id, others alone", () => {
    expect(groupOf('c1', { 'io.kubernetes.cri.sandbox-id': 'pod1' })).toBe('pod1');
    expect(groupOf('c1', { 'io.containerd.runc.v2.group': 'g', 'io.kubernetes.cri.sandbox-id': 'pod1' })).toBe('g');
    expect(groupOf('c1', {})).toBe('c1');
    expect(groupOf('c1', undefined)).toBe('c1');
  });
});

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
