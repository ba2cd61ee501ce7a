/**
 * The loopback device of a container's network namespace, keel beside runc 1.1.5 on the same
 * bundles: runc sets "lo" up in a network namespace it makes (its specconv adds a "loopback"
 * network; libcontainer sets it up), with or without a user namespace, and leaves a joined one as
 * it was. The kernel makes a new namespace's "lo" down (flags 0x8, IFF_LOOPBACK alone).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

const SHOW_LO = ['sh', '-c', 'cat /sys/class/net/lo/flags; ip -o addr show lo | sed "s/ *valid_lft.*//"'];
const IFF_UP = 0x1;

let keel: KeelRoot;
let runc: RuncRoot;
const bundles: Bundle[] = [];
const netns = `keel-lo-${process.pid}`;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  runc = new RuncRoot();
  execFileSync('ip', ['netns', 'add', netns]);
});
afterAll(() => {
  keel?.cleanup();
  runc?.cleanup();
  for (const b of bundles) b.remove();
  spawnSync('ip', ['netns', 'del', netns]);
});

/** What `lo` looks like inside the container, under keel and under runc, on one bundle. */
function loopbackIn(name: string, edit: (s: Spec) => void): { keel: string; runc: string } {
  const b = makeBundle((s) => {
    s.process!.args = SHOW_LO;
    edit(s);
  });
  bundles.push(b);
  chmodSync(b.dir, 0o755); // a user namespace's root must reach the rootfs
  const id = `${name}-${process.pid}`;
  return { keel: keel.ok(['run', '--bundle', b.dir, id]), runc: runc.ok(['run', '--bundle', b.dir, id]) };
}

const flagsOf = (out: string) => Number.parseInt(out.split('\n')[0]!, 16);

describe('the loopback device, side by side with runc', () => {
  it('is up, with 127.0.0.1 and ::1, in a new network namespace', () => {
    const out = loopbackIn('lo-new', () => {});
    expect(flagsOf(out.runc) & IFF_UP).toBe(IFF_UP);
    expect(out.runc).toContain('inet 127.0.0.1/8 scope host lo');
    expect(out.keel).toBe(out.runc);
  });

  it('is up in a new network namespace of a new user namespace', () => {
    const ids = { containerID: 0, hostID: 100000, size: 65536 };
    const out = loopbackIn('lo-userns', (s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [ids];
      s.linux!.gidMappings = [ids];
    });
    expect(flagsOf(out.runc) & IFF_UP).toBe(IFF_UP);
    expect(out.keel).toBe(out.runc);
  });

  it('is left as it was in a joined network namespace (down in a fresh `ip netns add` one)', () => {
    const out = loopbackIn('lo-joined', (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: `/run/netns/${netns}` } : n));
    });
    expect(flagsOf(out.runc) & IFF_UP).toBe(0);
    expect(out.keel).toBe(out.runc);
    expect(execFileSync('ip', ['netns', 'exec', netns, 'cat', '/sys/class/net/lo/flags'], { encoding: 'utf8' }).trim()).toBe('0x8');
  });
});
