import { describe, expect, it } from 'vitest';

import { planNamespaces } from '../../../src/plan/namespaces.js';
import { compilePlan } from '../../../src/plan/compile.js';
import { checkSysctl } from '../../../src/plan/sysctl.js';
import { planInput } from '../../helpers/plan.js';

const own = planNamespaces([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
const hostNet = planNamespaces([{ type: 'pid' }, { type: 'mount' }]);
const podNet = planNamespaces([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/var/run/netns/pod' }]);

describe('checkSysctl', () => {
  it('accepts sysctls of namespaces the container has to itself', () => {
    for (const key of ['net.ipv4.ip_forward', 'kernel.shmmax', 'fs.mqueue.msg_max', 'kernel.hostname']) expect(() => checkSysctl(key, own)).not.toThrow();
  });
  it('refuses host-global sysctls, which would change the host', () => {
    expect(() => checkSysctl('kernel.core_pattern', own)).toThrow('config.json: /linux/sysctl/kernel.core_pattern: not confined to a namespace of the container: setting it would change the host');
    expect(() => checkSysctl('vm.overcommit_memory', own)).toThrow(/would change the host/);
  });
  it('accepts a sysctl of a namespace joined by path (a pod\'s)', () => {
    expect(() => checkSysctl('net.ipv4.ip_forward', podNet)).not.toThrow();
  });
  it('refuses a namespaced sysctl when the container shares that namespace with the host', () => {
    expect(() => checkSysctl('net.ipv4.ip_forward', hostNet)).toThrow('config.json: /linux/sysctl/net.ipv4.ip_forward: needs its own network namespace (add {"type": "network"} to /linux/namespaces)');
    expect(() => checkSysctl('kernel.shmmax', hostNet)).toThrow(/needs its own ipc namespace/);
  });
  it('refuses names that are not dotted words (paths out of /proc/sys)', () => {
    for (const key of ['net/../../../etc/passwd', '..', 'net..ipv4', 'net', 'net.ipv4.conf.all/../x']) expect(() => checkSysctl(key, own)).toThrow(/: not a sysctl name/);
  });
});

describe('checkSysctl and a namespace joined by path', () => {
  const joinsHost = planNamespaces([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/proc/self/ns/net' }, { type: 'ipc', path: '/proc/1/ns/ipc' }, { type: 'uts', path: '/proc/1/ns/uts' }]);
  const keelOwn = (_type: string, path: string) => path.startsWith('/proc/');
  it("refuses a sysctl when the joined namespace is keel's own (the host's): it would change the host", () => {
    expect(() => checkSysctl('net.ipv4.tcp_keepalive_probes', joinsHost, keelOwn)).toThrow(
      'config.json: /linux/sysctl/net.ipv4.tcp_keepalive_probes: not allowed in the host\'s network namespace: the network namespace path "/proc/self/ns/net" is keel\'s own, so setting it would change the host (give the container a network namespace of its own, or drop the sysctl)',
    );
    expect(() => checkSysctl('kernel.shmmax', joinsHost, keelOwn)).toThrow(/not allowed in the host's ipc namespace: the ipc namespace path "\/proc\/1\/ns\/ipc"/);
    expect(() => checkSysctl('fs.mqueue.msg_max', joinsHost, keelOwn)).toThrow(/host's ipc namespace/);
    expect(() => checkSysctl('kernel.domainname', joinsHost, keelOwn)).toThrow(/host's uts namespace/);
  });
  it('asks about the joined path of the namespace that confines the sysctl', () => {
    const asked: string[] = [];
    checkSysctl('net.ipv4.ip_forward', podNet, (t, path) => (asked.push(`${t} ${path}`), false));
    expect(asked).toEqual(['network /var/run/netns/pod']);
  });
});

describe('compilePlan and sysctls', () => {
  it("hands the host's namespace facts to checkSysctl", () => {
    const inp = planInput((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'network').concat({ type: 'network', path: '/proc/self/ns/net' });
      s.linux!.sysctl = { 'net.ipv4.tcp_keepalive_probes': '5' };
    });
    expect(() => compilePlan({ ...inp, host: { ...inp.host, kindOf: () => 'file', isKeelNamespace: () => true } })).toThrow(/not allowed in the host's network namespace/);
    expect(compilePlan({ ...inp, host: { ...inp.host, kindOf: () => 'file', isKeelNamespace: () => false } }).ops.some((o) => o.what.includes('tcp_keepalive_probes'))).toBe(true);
  });
});
