import { describe, expect, it } from 'vitest';

import { containerCgroupPath } from '../../../src/cgroups/manager.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { DEFAULT_ALLOWED_DEVICES, mergeResources, resourceWarnings, sharesToWeight, v1DeviceWrites, v1Writes, v2UpdateResources, v2Writes } from '../../../src/cgroups/resources.js';

const RESOURCES = {
  memory: { limit: 33554432, reservation: 16777216, swap: 67108864, swappiness: 10 },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 10 },
  blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
};

const lines = (w: { controller: string; file: string; value: string }[]) => w.map((x) => `${x.controller}/${x.file}=${x.value}`);

describe('cgroup v1 translation', () => {
  it('writes each limit to its v1 file, the period before the quota', () => {
    expect(lines(v1Writes(RESOURCES))).toEqual([
      'memory/memory.limit_in_bytes=33554432',
      'memory/memory.memsw.limit_in_bytes=67108864',
      'memory/memory.soft_limit_in_bytes=16777216',
      'memory/memory.swappiness=10',
      'cpu/cpu.shares=512',
      'cpu/cpu.cfs_period_us=100000',
      'cpu/cpu.cfs_quota_us=50000',
      'cpuset/cpuset.cpus=0',
      'cpuset/cpuset.mems=0',
      'pids/pids.max=10',
      'blkio/blkio.weight=500',
      'blkio/blkio.throttle.read_bps_device=8:0 1048576',
    ]);
  });

  it('device rules: everything denied, the config\'s in order, then the devices every container may use', () => {
    const w = v1DeviceWrites([{ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]);
    expect(lines(w).slice(0, 2)).toEqual(['devices/devices.deny=a', 'devices/devices.allow=c 10:229 rw']);
    expect(w).toHaveLength(2 + DEFAULT_ALLOWED_DEVICES.length);
    expect(lines(w)).toContain('devices/devices.allow=c 1:3 rwm');
    expect(lines(w)).toContain('devices/devices.allow=c 136:* rwm');
    // No rules in the config: the same baseline (as runc), not the parent's devices.
    expect(lines(v1DeviceWrites(undefined))).toEqual(['devices/devices.deny=a', ...lines(v1DeviceWrites([])).slice(1)]);
    expect(v1DeviceWrites(undefined)).toHaveLength(1 + DEFAULT_ALLOWED_DEVICES.length);
  });

  it('device rules: a config\'s deny-all is written once, as runc 1.1.5 writes it (strace: one "a *:* rwm" to devices.deny)', () => {
    // keel spec's rules, and the first rule of Docker's, podman's and containerd's configs.
    const spec = lines(v1DeviceWrites(defaultSpec().linux!.resources!.devices));
    expect(spec.filter((l) => l.startsWith('devices/devices.deny'))).toEqual(['devices/devices.deny=a']);
    expect(spec).toEqual(lines(v1DeviceWrites(undefined)));
    // Rules before a later "a" rule change nothing: writing starts at it.
    const privileged = lines(v1DeviceWrites([{ allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }, { allow: true, access: 'rwm' }]));
    expect(privileged[0]).toBe('devices/devices.allow=a');
    expect(privileged).toHaveLength(1 + DEFAULT_ALLOWED_DEVICES.length);
  });

  it('refuses unified (v2) keys on a v1 host, naming the field', () => {
    expect(() => v1Writes({ unified: { 'memory.high': '1G' } })).toThrow(/^config\.json: \/linux\/resources\/unified: these are cgroup v2 files/);
  });

  it('an unlimited pids limit is "max"', () => {
    expect(lines(v1Writes({ pids: { limit: -1 } }))).toEqual(['pids/pids.max=max']);
  });
});

describe('cgroup v2 translation', () => {
  it('converts shares to weight and writes cpu.max, memory.swap.max as swap alone', () => {
    expect(lines(v2Writes(RESOURCES))).toEqual([
      'memory/memory.max=33554432',
      'memory/memory.low=16777216',
      'memory/memory.swap.max=33554432',
      'cpu/cpu.weight=20',
      'cpu/cpu.max=50000 100000',
      'cpuset/cpuset.cpus=0',
      'cpuset/cpuset.mems=0',
      'pids/pids.max=10',
      'io/io.weight=4950',
      'io/io.max=8:0 rbps=1048576',
    ]);
  });

  it('maps cpu shares onto weights as runc does', () => {
    expect([sharesToWeight(2), sharesToWeight(1024), sharesToWeight(262144)]).toEqual([1, 39, 10000]);
  });

  it('writes a quota without a period as the quota alone, so the kernel keeps the period in force', () => {
    expect(lines(v2Writes({ cpu: { quota: 30000 } }))).toEqual(['cpu/cpu.max=30000']);
    expect(lines(v2Writes({ cpu: { quota: -1, period: 50000 } }))).toEqual(['cpu/cpu.max=max 50000']);
  });

  it('an update writes the partner of a field that shares its file (cpu.max, memory.swap.max)', () => {
    const recorded = { cpu: { shares: 512, quota: 20000, period: 50000 }, memory: { limit: 64 << 20, swap: 128 << 20 }, pids: { limit: 5 } };
    const update = { cpu: { period: 80000 }, memory: { limit: 96 << 20 } };
    const merged = mergeResources(recorded, update);
    expect(merged).toEqual({ cpu: { shares: 512, quota: 20000, period: 80000 }, memory: { limit: 96 << 20, swap: 128 << 20 }, pids: { limit: 5 } });
    expect(lines(v2Writes(v2UpdateResources(update, merged)))).toEqual(['memory/memory.max=100663296', 'memory/memory.swap.max=33554432', 'cpu/cpu.max=20000 80000']);
    // Nothing to pair: written as given.
    expect(v2UpdateResources({ pids: { limit: 9 } }, mergeResources(recorded, { pids: { limit: 9 } }))).toEqual({ pids: { limit: 9 } });
  });

  it('writes unified keys as they are', () => {
    expect(lines(v2Writes({ unified: { 'memory.high': '1073741824' } }))).toEqual(['memory/memory.high=1073741824']);
  });

  it('refuses a unified key that is not a file of the container\'s own cgroup, naming it (runc: no slashes)', () => {
    // The key is joined to the container's directory: this one named its grandparent's pids.max.
    expect(() => v2Writes({ unified: { '../../pids.max': '5' } })).toThrow(/^config\.json: \/linux\/resources\/unified\/\.\.~1\.\.~1pids\.max: a key is a file name of the form CONTROLLER\.PARAMETER/);
    expect(() => v2Writes({ unified: { 'sub/memory.max': '5' } })).toThrow(/unified\/sub~1memory\.max:/);
    expect(() => v2Writes({ unified: { '..': '5' } })).toThrow(/unified\/\.\.:/);
    expect(() => v2Writes({ unified: { memory: '5' } })).toThrow(/unified\/memory:/);
  });
});

describe('containerCgroupPath', () => {
  it('keeps absolute paths, puts relative and empty ones under /keel, and refuses escapes', () => {
    expect(containerCgroupPath('/machine/ctr', 'id')).toBe('/machine/ctr');
    expect(containerCgroupPath('pod1/ctr', 'id')).toBe('/keel/pod1/ctr');
    expect(containerCgroupPath(undefined, 'id')).toBe('/keel/id');
    expect(() => containerCgroupPath('/a/../..', 'id')).toThrow(/climbs with "\.\."/);
    expect(() => containerCgroupPath('/', 'id')).toThrow(/does not name a cgroup of its own/);
  });
});

describe('fields accepted but not applied', () => {
  it('a kernel memory limit is never written (as runc), with a warning; kernelTCP only on v1', () => {
    const r = { memory: { limit: 1 << 20, kernel: 1 << 20, kernelTCP: 1 << 20 } };
    expect(lines(v1Writes(r))).toEqual(['memory/memory.limit_in_bytes=1048576', 'memory/memory.kmem.tcp.limit_in_bytes=1048576']);
    expect(resourceWarnings('hybrid', r)).toEqual([expect.stringMatching(/^\/linux\/resources\/memory\/kernel: kernel memory limits are deprecated/)]);
    expect(lines(v2Writes(r))).toEqual(['memory/memory.max=1048576']);
    expect(resourceWarnings('v2', r)).toHaveLength(2);
    expect(resourceWarnings('v2', { memory: { limit: 1 } })).toEqual([]);
  });

  it('useHierarchy false is said to be ignored: this kernel refuses 0 in memory.use_hierarchy (EINVAL), and v2 is hierarchical', () => {
    expect(resourceWarnings('hybrid', { memory: { useHierarchy: false } })).toEqual([expect.stringMatching(/^\/linux\/resources\/memory\/useHierarchy: false is not applied/)]);
    expect(resourceWarnings('hybrid', { memory: { useHierarchy: true } })).toEqual([]);
  });
});
