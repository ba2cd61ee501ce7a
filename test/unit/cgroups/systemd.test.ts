/**
 * The systemd driver's pure policy, against runc's rules (libcontainer/cgroups/systemd and
 * specconv in runc 1.1.5, cpuset byte order as fixed in runc 1.2): cgroupsPath, slices, unit
 * names, and linux.resources as unit properties.
 */
import { describe, expect, it } from 'vitest';

import { simplifyDeviceRules } from '../../../src/cgroups/device-rules.js';
import { blkioToIoWeight } from '../../../src/cgroups/resources.js';
import { INFINITY, cpuMask, parseProcDevices, systemdResourceProperties, type SystemdHost, type SystemdProperty } from '../../../src/cgroups/systemd-properties.js';
import { expandSlice, parseSystemdCgroupsPath, unitProperties } from '../../../src/cgroups/systemd-unit.js';

// A few lines of this project's host's /proc/devices.
const PROC_DEVICES = `Character devices:
  1 mem
  4 /dev/vc/0
  4 tty
  5 /dev/tty
136 pts
254 ndctl

Block devices:
  7 loop
254 virtblk
`;
const groups = parseProcDevices(PROC_DEVICES);
const HOST: SystemdHost = { version: 252, deviceGroup: (type, major) => groups.get(`${type} ${major}`), deviceExists: () => true };
/** The properties as name -> value, for the limits' part (devices left out). */
const limits = (props: SystemdProperty[]) => Object.fromEntries(props.filter((p) => !p.name.startsWith('Device')).map((p) => [p.name, p.value]));

describe('cgroupsPath under --systemd-cgroup', () => {
  it('empty: a scope keel-<id>.scope in system.slice', () => {
    expect(parseSystemdCgroupsPath(undefined, 'web')).toEqual({ slice: 'system.slice', unit: 'keel-web.scope', kind: 'scope', path: '/system.slice/keel-web.scope' });
    expect(parseSystemdCgroupsPath('', 'web').unit).toBe('keel-web.scope');
  });

  it('slice:prefix:name, as engines send it; an empty slice is system.slice', () => {
    expect(parseSystemdCgroupsPath('system.slice:docker:1234', 'x')).toMatchObject({ unit: 'docker-1234.scope', path: '/system.slice/docker-1234.scope' });
    expect(parseSystemdCgroupsPath('kubepods-besteffort-pod12.slice:cri-containerd:abc', 'x').path).toBe(
      '/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope',
    );
    expect(parseSystemdCgroupsPath(':libpod:c1', 'x')).toMatchObject({ slice: 'system.slice', path: '/system.slice/libpod-c1.scope' });
    expect(parseSystemdCgroupsPath('-.slice:p:n', 'x').path).toBe('/p-n.scope');
  });

  it('a name ending in .slice makes a slice, which wants its parent instead of living in it', () => {
    const unit = parseSystemdCgroupsPath('machine.slice:p:web.slice', 'x');
    expect(unit).toMatchObject({ unit: 'web.slice', kind: 'slice', path: '/machine.slice/web.slice' });
    const props = unitProperties(unit, 'x', undefined, 'v2');
    expect(props.find((p) => p.name === 'Wants')?.value).toEqual(['machine.slice']);
    expect(props.some((p) => p.name === 'Slice' || p.name === 'Delegate' || p.name === 'PIDs')).toBe(false);
  });

  it.each([
    ['a:b', /"a:b": with --systemd-cgroup it is "slice:prefix:name" \(e.g. system.slice:keel:web\), not 2 parts$/],
    ['x.slice:p:n:extra', /not 4 parts$/],
    ['/keel/web', /not 1 part$/],
    ['system:p:n', /"system" is not a slice: give a name ending in ".slice"/],
    ['a--b.slice:p:n', /"a--b.slice" is not a slice/],
    ['-a.slice:p:n', /"-a.slice" is not a slice/],
    ['.slice:p:n', /"\.slice" is not a slice/],
    ['system.slice:p:', /the name \(after the second ":"\) is empty/],
    ['system.slice:p:a/b', /cannot hold "\/"/],
  ])('refuses %j, naming the field', (path, why) => {
    expect(() => parseSystemdCgroupsPath(path, 'web')).toThrow(/^config\.json: \/linux\/cgroupsPath: /);
    expect(() => parseSystemdCgroupsPath(path, 'web')).toThrow(why);
  });

  it('expands slices as systemd nests them (runc\'s example: test-a-b.slice)', () => {
    expect(expandSlice('test-a-b.slice')).toBe('/test.slice/test-a.slice/test-a-b.slice');
    expect(expandSlice('system.slice')).toBe('/system.slice');
    expect(expandSlice('-.slice')).toBe('/');
    expect(expandSlice('a/b.slice')).toBeUndefined();
  });

  it('a scope\'s own properties: its slice, delegation, the init, accounting, no default dependencies', () => {
    const props = unitProperties(parseSystemdCgroupsPath(undefined, 'web'), 'web', 4321, 'v2');
    expect(props).toEqual([
      { name: 'Description', type: 's', value: 'keel container web' },
      { name: 'Slice', type: 's', value: 'system.slice' },
      { name: 'Delegate', type: 'b', value: true },
      { name: 'PIDs', type: 'au', value: [4321] },
      { name: 'MemoryAccounting', type: 'b', value: true },
      { name: 'CPUAccounting', type: 'b', value: true },
      { name: 'IOAccounting', type: 'b', value: true },
      { name: 'TasksAccounting', type: 'b', value: true },
      { name: 'DefaultDependencies', type: 'b', value: false },
    ]);
    expect(unitProperties(parseSystemdCgroupsPath(undefined, 'web'), 'web', 1, 'v1').map((p) => p.name)).toContain('BlockIOAccounting');
  });
});

describe('linux.resources as systemd unit properties', () => {
  it('memory on v2: MemoryMax, MemoryLow, and MemorySwapMax as swap alone', () => {
    const r = systemdResourceProperties({ memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20 } }, 'v2', HOST);
    expect(limits(r.properties)).toEqual({ MemoryMax: BigInt(64 << 20), MemoryLow: BigInt(32 << 20), MemorySwapMax: BigInt(64 << 20) });
    // Unlimited memory without a swap value: unlimited swap too.
    expect(limits(systemdResourceProperties({ memory: { limit: -1 } }, 'v2', HOST).properties)).toEqual({ MemoryMax: INFINITY, MemorySwapMax: INFINITY });
    expect(limits(systemdResourceProperties({ memory: { limit: 64 << 20 } }, 'v1', HOST).properties)).toEqual({ MemoryLimit: BigInt(64 << 20) });
  });

  it('refuses a swap that cannot become MemorySwapMax, naming the field (runc refuses both)', () => {
    expect(() => systemdResourceProperties({ memory: { swap: 1 << 20 } }, 'v2', HOST)).toThrow(/^config\.json: \/linux\/resources\/memory\/swap: a swap limit needs a memory limit/);
    expect(() => systemdResourceProperties({ memory: { limit: 2 << 20, swap: 1 << 20 } }, 'v2', HOST)).toThrow(/\/memory\/swap: 1048576 is memory plus swap, and is below the memory limit/);
  });

  it('cpu: CPUWeight from shares by runc\'s formula (CPUShares on v1); the quota per second rounded up to whole 10 ms', () => {
    expect(limits(systemdResourceProperties({ cpu: { shares: 1024, quota: 50000, period: 100000 } }, 'v2', HOST).properties)).toEqual({
      CPUWeight: 39n,
      CPUQuotaPeriodUSec: 100000n,
      CPUQuotaPerSecUSec: 500000n,
    });
    expect(limits(systemdResourceProperties({ cpu: { shares: 512 } }, 'v1', HOST).properties)).toEqual({ CPUShares: 512n });
    // 33333 per 100 ms is 333330 us per second: 34% of a CPU for systemd.
    expect(limits(systemdResourceProperties({ cpu: { quota: 33333, period: 100000 } }, 'v2', HOST).properties).CPUQuotaPerSecUSec).toBe(340000n);
    // No period: the kernel's 100 ms; no quota (-1): unlimited.
    expect(limits(systemdResourceProperties({ cpu: { quota: 25000 } }, 'v2', HOST).properties)).toEqual({ CPUQuotaPerSecUSec: 250000n });
    expect(limits(systemdResourceProperties({ cpu: { quota: -1, period: 50000 } }, 'v2', HOST).properties)).toEqual({ CPUQuotaPeriodUSec: 50000n, CPUQuotaPerSecUSec: INFINITY });
    // systemd before 242 has no CPUQuotaPeriodUSec: the period is left to the cgroup file.
    expect(limits(systemdResourceProperties({ cpu: { quota: 20000, period: 50000 } }, 'v2', { ...HOST, version: 241 }).properties)).toEqual({ CPUQuotaPerSecUSec: 400000n });
  });

  it('pids: TasksMax, where 0 and -1 are unlimited as in keel\'s pids.max', () => {
    expect(limits(systemdResourceProperties({ pids: { limit: 20 } }, 'v2', HOST).properties)).toEqual({ TasksMax: 20n });
    expect(limits(systemdResourceProperties({ pids: { limit: -1 } }, 'v2', HOST).properties)).toEqual({ TasksMax: INFINITY });
    expect(limits(systemdResourceProperties({ pids: { limit: 0 } }, 'v2', HOST).properties)).toEqual({ TasksMax: INFINITY });
  });

  it('blockIO weight: IOWeight on v2 (io.weight\'s value), BlockIOWeight on v1', () => {
    expect(limits(systemdResourceProperties({ blockIO: { weight: 500 } }, 'v2', HOST).properties)).toEqual({ IOWeight: BigInt(blkioToIoWeight(500)) });
    expect(limits(systemdResourceProperties({ blockIO: { weight: 500 } }, 'v1', HOST).properties)).toEqual({ BlockIOWeight: 500n });
  });

  it('cpuset: AllowedCPUs and AllowedMemoryNodes as bit masks, CPU 0 in the first byte\'s lowest bit (systemd 244+)', () => {
    const r = limits(systemdResourceProperties({ cpu: { cpus: '0-2,9', mems: '0' } }, 'v2', HOST).properties);
    expect(r.AllowedCPUs).toEqual(new Uint8Array([0b0000_0111, 0b0000_0010]));
    expect(r.AllowedMemoryNodes).toEqual(new Uint8Array([1]));
    expect(cpuMask(' 8 ,, 1-1', 'cpu/cpus')).toEqual(new Uint8Array([0b10, 0b1]));
    expect(limits(systemdResourceProperties({ cpu: { cpus: '0-2' } }, 'v2', { ...HOST, version: 243 }).properties)).toEqual({});
    expect(() => cpuMask('3-1', 'cpu/cpus')).toThrow(/^config\.json: \/linux\/resources\/cpu\/cpus: "3-1" is not a list/);
    expect(() => cpuMask(',', 'cpu/mems')).toThrow(/cpu\/mems: "," names none/);
  });
});

describe('linux.resources.unified keys as properties (v2)', () => {
  it('converts the keys systemd has a property for, "max" as infinity, and leaves the rest to the files', () => {
    const unified = { 'memory.high': '1073741824', 'memory.min': 'max', 'pids.max': ' 64 ', 'cpu.weight': '200', 'cpu.max': 'max', 'io.max': '8:0 rbps=1', 'memory.oom.group': '1' };
    expect(limits(systemdResourceProperties({ unified }, 'v2', HOST).properties)).toEqual({
      MemoryHigh: 1073741824n,
      MemoryMin: INFINITY,
      TasksMax: 64n,
      CPUWeight: 200n,
      CPUQuotaPeriodUSec: 100000n,
      CPUQuotaPerSecUSec: INFINITY,
    });
    expect(limits(systemdResourceProperties({ unified: { 'cpu.max': '15000 50000', 'cpuset.cpus': '1' } }, 'v2', HOST).properties)).toEqual({
      CPUQuotaPeriodUSec: 50000n,
      CPUQuotaPerSecUSec: 300000n,
      AllowedCPUs: new Uint8Array([2]),
    });
  });

  it('a key comes after the field it repeats, so systemd takes the key\'s value (the file gets it last too)', () => {
    const props = systemdResourceProperties({ memory: { limit: 1 << 20 }, unified: { 'memory.max': '2097152' } }, 'v2', HOST).properties.filter((p) => p.name === 'MemoryMax');
    expect(props.map((p) => p.value)).toEqual([1048576n, 2097152n]);
  });

  it('refuses a value that is no number, naming the key', () => {
    expect(() => systemdResourceProperties({ unified: { 'memory.max': '1G' } }, 'v2', HOST)).toThrow(/^config\.json: \/linux\/resources\/unified\/memory\.max: "1G" is not a number of bytes or "max"$/);
    expect(() => systemdResourceProperties({ unified: { 'cpu.max': '1 2 3' } }, 'v2', HOST)).toThrow(/unified\/cpu\.max: "1 2 3" is not "QUOTA \[PERIOD\]"/);
  });
});

describe('device rules as DevicePolicy and DeviceAllow', () => {
  const devices = (r: Parameters<typeof systemdResourceProperties>[0], host = HOST) => {
    const out = systemdResourceProperties(r, 'v2', host);
    return { props: out.properties.filter((p) => p.name.startsWith('Device')), warnings: out.warnings };
  };

  it('the default rules: strict, each allowed device by path, a whole major by its /proc/devices group', () => {
    expect(devices({}).props).toEqual([
      { name: 'DevicePolicy', type: 's', value: 'strict' },
      {
        name: 'DeviceAllow',
        type: 'a(ss)',
        value: [
          ['block-*', 'm'],
          ['char-*', 'm'],
          ['/dev/char/1:3', 'rwm'],
          ['/dev/char/1:5', 'rwm'],
          ['/dev/char/1:7', 'rwm'],
          ['/dev/char/1:8', 'rwm'],
          ['/dev/char/1:9', 'rwm'],
          ['/dev/char/5:0', 'rwm'],
          ['/dev/char/5:2', 'rwm'],
          ['char-pts', 'rwm'],
        ],
      },
    ]);
  });

  it('joins a config rule with a default one for the same device; leaves out (with a warning) what systemd cannot name', () => {
    const r = devices(
      { devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }, { allow: true, type: 'b', major: 99, access: 'r' }] },
      { ...HOST, deviceExists: (path) => !path.includes('10:200') },
    );
    const allow = r.props[1]!.value as [string, string][];
    expect(allow).toContainEqual(['/dev/char/1:3', 'rwm']);
    expect(allow.some(([path]) => path.includes('10:200') || path.startsWith('block-9'))).toBe(false);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings.join('\n')).toMatch(/no \/proc\/devices entry names block major 99/);
    expect(r.warnings.join('\n')).toMatch(/\/dev\/char\/10:200 does not exist/);
  });

  it('allow-all: DevicePolicy auto; allow-all with exceptions: strict with nothing allowed, and a warning (as runc)', () => {
    expect(devices({ devices: [{ allow: true, access: 'rwm' }] }).props).toEqual([
      { name: 'DevicePolicy', type: 's', value: 'auto' },
      { name: 'DeviceAllow', type: 'a(ss)', value: [] },
    ]);
    const denied = devices({ devices: [{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 10, minor: 200, access: 'rwm' }] });
    expect(denied.props[1]!.value).toEqual([]);
    expect(denied.warnings).toEqual([expect.stringMatching(/systemd takes no deny rules/)]);
  });

  it('refuses a deny inside a wider allow, naming the rule (the device cgroup cannot say it; runc refuses too)', () => {
    expect(() =>
      devices({ devices: [{ allow: true, type: 'c', major: 4, access: 'rw' }, { allow: false, type: 'c', major: 4, minor: 1, access: 'w' }] }),
    ).toThrow(/^config\.json: \/linux\/resources\/devices\/1: "deny c 4:1" takes access from inside the wider rule for c 4:\*/);
  });

  it('simplifies as the v1 controller would hold the rules: access added and taken per device, reset by a rule of type a', () => {
    const nameOf = (i: number) => `rule ${i}`;
    expect(
      simplifyDeviceRules(
        [
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'm' },
          { allow: false, type: 'c', major: 1, minor: 3, access: 'w' },
          { allow: true, type: 'b', major: 1, minor: 3, access: 'r' },
          { allow: false, type: 'c', major: 9, minor: 9, access: 'rwm' },
        ],
        nameOf,
      ),
    ).toEqual({ defaultAllow: false, exceptions: [{ type: 'b', major: 1, minor: 3, access: 'r' }, { type: 'c', major: 1, minor: 3, access: 'rm' }] });
    expect(simplifyDeviceRules([{ allow: true, type: 'c', major: 1, access: 'r' }, { allow: false, access: 'rwm' }], nameOf)).toEqual({ defaultAllow: false, exceptions: [] });
  });

  it('reads /proc/devices by type; the first name of a major wins', () => {
    expect(groups.get('c 136')).toBe('pts');
    expect(groups.get('c 4')).toBe('/dev/vc/0');
    expect(groups.get('b 254')).toBe('virtblk');
    expect(groups.get('c 7')).toBeUndefined();
  });
});
