import { describe, expect, it } from 'vitest';

import { planNamespaces } from '../../../src/plan/namespaces.js';
import { checkSysctl } from '../../../src/plan/sysctl.js';

const own = planNamespaces([{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }]);
const hostNet = planNamespaces([{ type: 'pid' }, { type: 'mount' }]);
const podNet = planNamespaces([{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/var/run/netns/pod' }]);

describe('checkSysctl', () => {
  it('accepts sysctls of namespaces the container has to itself', () => {
    for (const key of ['net.ipv4.ip_forward', 'kernel.shmmax', 'fs.mqueue.msg_max', 'kernel.hostname']) expect(() => checkSysctl(key, own)).not.toThrow();
  });
  it('refuses host-global sysctls, which would change the host', () => {
    expect(() => checkSysctl('kernel.core_pattern', own)).toThrow('config.json: /linux/sysctl: "kernel.core_pattern" is not confined to a namespace of the container: setting it would change the host');
    expect(() => checkSysctl('vm.overcommit_memory', own)).toThrow(/would change the host/);
  });
  it('accepts a sysctl of a namespace joined by path (a pod\'s)', () => {
    expect(() => checkSysctl('net.ipv4.ip_forward', podNet)).not.toThrow();
  });
  it('refuses a namespaced sysctl when the container shares that namespace with the host', () => {
    expect(() => checkSysctl('net.ipv4.ip_forward', hostNet)).toThrow('config.json: /linux/sysctl: "net.ipv4.ip_forward" needs its own network namespace (add {"type": "network"} to /linux/namespaces)');
    expect(() => checkSysctl('kernel.shmmax', hostNet)).toThrow(/needs its own ipc namespace/);
  });
  it('refuses names that are not dotted words (paths out of /proc/sys)', () => {
    for (const key of ['net/../../../etc/passwd', '..', 'net..ipv4', 'net', 'net.ipv4.conf.all/../x']) expect(() => checkSysctl(key, own)).toThrow(/is not a sysctl name/);
  });
});
