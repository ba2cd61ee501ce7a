/** Namespaces created new or joined by path, as Kubernetes pods join their sandbox's. */
import { readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

let keel: KeelRoot;
let sandbox: Bundle;
let sandboxPid: number;
const bundles: Bundle[] = [];

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  sandbox = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
    s.hostname = 'sandbox';
  });
  keel.ok(['run', '--detach', '--bundle', sandbox.dir, 'sandbox']);
  sandboxPid = JSON.parse(keel.ok(['state', 'sandbox'])).pid;
});
afterAll(() => {
  keel.cleanup();
  sandbox.remove();
  for (const b of bundles) b.remove();
});

describe('namespaces', () => {
  it('joins the network, UTS and IPC namespaces of another container by path', () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sh', '-c', 'for t in net uts ipc pid; do readlink /proc/self/ns/$t; done; hostname'];
      delete s.hostname;
      s.linux!.namespaces = [
        { type: 'pid' },
        { type: 'mount' },
        { type: 'network', path: `/proc/${sandboxPid}/ns/net` },
        { type: 'uts', path: `/proc/${sandboxPid}/ns/uts` },
        { type: 'ipc', path: `/proc/${sandboxPid}/ns/ipc` },
      ];
    });
    bundles.push(b);
    const out = keel.ok(['run', '--bundle', b.dir, 'joiner']);
    const ns = (t: string) => readlinkSync(`/proc/${sandboxPid}/ns/${t}`);
    const [net, uts, ipc, pid, hostname] = out.trim().split(/\s+/);
    expect([net, uts, ipc]).toEqual([ns('net'), ns('uts'), ns('ipc')]);
    expect(pid).not.toBe(ns('pid')); // a PID namespace of its own
    expect(hostname).toBe('sandbox');
  });

  it('creates each namespace it is asked for, distinct from the host', () => {
    const b = makeBundle((s) => {
      s.process!.args = ['sh', '-c', 'for t in net uts ipc pid mnt cgroup; do readlink /proc/self/ns/$t; done'];
    });
    bundles.push(b);
    const inside = keel.ok(['run', '--bundle', b.dir, 'fresh']).trim().split('\n');
    const host = ['net', 'uts', 'ipc', 'pid', 'mnt', 'cgroup'].map((t) => readlinkSync(`/proc/self/ns/${t}`));
    inside.forEach((ns, i) => expect(ns).not.toBe(host[i]));
  });

  it('shares the host network namespace when none is asked for', () => {
    const b = makeBundle((s) => {
      s.process!.args = ['readlink', '/proc/self/ns/net'];
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
    });
    bundles.push(b);
    expect(keel.ok(['run', '--bundle', b.dir, 'hostnet']).trim()).toBe(readlinkSync('/proc/self/ns/net'));
  });

  it('fails with the path named when a namespace path does not exist, leaving nothing', () => {
    const b = makeBundle((s) => {
      s.process!.args = ['true'];
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'network' ? { type: 'network', path: '/proc/999999999/ns/net' } : n));
    });
    bundles.push(b);
    const r = keel.run(['run', '--bundle', b.dir, 'nons']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: \/tmp\/keel-bundle-\w+\/config\.json: \/linux\/namespaces\/\d+\/path: "\/proc\/999999999\/ns\/net" does not exist: no network namespace to join there\n$/);
    expect(keel.containers()).toEqual(['sandbox']);
  });
});
