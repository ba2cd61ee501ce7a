/**
 * linux.resources -> the systemd unit properties that carry the same limits, pure. With
 * --systemd-cgroup the limits systemd knows go to the unit (so that systemd, when it reloads,
 * writes what the container asked for instead of its defaults), and every file is then written
 * as with cgroupfs (resources.ts), which covers the limits systemd has no property for.
 * The rules are runc's (libcontainer/cgroups/systemd), with the differences named where they are.
 */
import type { LinuxResources } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { blkioToIoWeight, containerDeviceRules, sharesToWeight } from './resources.js';
import { simplifyDeviceRules, type DeviceException } from './device-rules.js';
import type { DbusValue } from './gvariant.js';

/** One property as D-Bus carries it: its signature ("t", "s", "a(ss)", ...) and a value of that shape. */
export interface SystemdProperty {
  name: string;
  type: string;
  value: DbusValue | [string, string][];
}

/** systemd's "infinity" for a uint64 property (USEC_INFINITY, CGROUP_LIMIT_MAX). */
export const INFINITY = (1n << 64n) - 1n;

/** The kernel's default CFS period: a quota without a period is per 100 ms. */
const DEFAULT_PERIOD_US = 100_000;

/** What the mapping needs to know about the host. */
export interface SystemdHost {
  /** systemd's version (Manager.Version): CPUQuotaPeriodUSec needs 242, AllowedCPUs/AllowedMemoryNodes 244. */
  version: number;
  /** The name /proc/devices gives a major number (e.g. char 136 -> "pts"), for a rule on all its minors. */
  deviceGroup: (type: 'c' | 'b', major: number) => string | undefined;
  /** Whether a device path (/dev/char/1:3, or under /sys/dev) exists: systemd warns about one that does not. */
  deviceExists: (path: string) => boolean;
}

export interface SystemdResources {
  properties: SystemdProperty[];
  /** Rules systemd cannot express; keel's own device filter still enforces them. */
  warnings: string[];
}

const u64 = (name: string, value: bigint | number): SystemdProperty => ({ name, type: 't', value: BigInt(value) });
/** A spec limit where a negative number means none. */
const limitOrInfinity = (n: number) => (n < 0 ? INFINITY : BigInt(n));
const fail = (path: string, why: string) => new KeelError(`config.json: /linux/resources/${path}: ${why}`);

export function systemdResourceProperties(r: LinuxResources, mode: 'v1' | 'v2', host: SystemdHost): SystemdResources {
  const devices = deviceProperties(r, host);
  const properties = [...devices.properties];
  const add = (p: SystemdProperty) => properties.push(p);
  const m = r.memory;
  if (mode === 'v2') {
    if (m?.limit) add(u64('MemoryMax', limitOrInfinity(m.limit)));
    if (m?.reservation) add(u64('MemoryLow', limitOrInfinity(m.reservation)));
    const swap = v2Swap(m?.swap ?? 0, m?.limit ?? 0);
    if (swap !== 0) add(u64('MemorySwapMax', limitOrInfinity(swap)));
    if (r.cpu?.shares) add(u64('CPUWeight', sharesToWeight(r.cpu.shares)));
  } else {
    if (m?.limit) add(u64('MemoryLimit', limitOrInfinity(m.limit)));
    if (r.cpu?.shares) add(u64('CPUShares', r.cpu.shares));
  }
  properties.push(...cpuQuotaProperties(r.cpu?.quota ?? 0, r.cpu?.period ?? 0, host.version));
  // runc sets BlockIOWeight on v1 but leaves io.weight to the file on v2; the unit says it too
  // here, so that a reload of systemd keeps the weight (the value is the one keel writes to io.weight).
  if (r.blockIO?.weight) add(mode === 'v2' ? u64('IOWeight', blkioToIoWeight(r.blockIO.weight)) : u64('BlockIOWeight', r.blockIO.weight));
  // 0 is no limit, as keel's pids.max write takes it ("max"): the unit must say the same.
  if (r.pids?.limit !== undefined) add(u64('TasksMax', r.pids.limit > 0 ? BigInt(r.pids.limit) : INFINITY));
  if (host.version >= 244) {
    if (r.cpu?.cpus) add({ name: 'AllowedCPUs', type: 'ay', value: cpuMask(r.cpu.cpus, 'cpu/cpus') });
    if (r.cpu?.mems) add({ name: 'AllowedMemoryNodes', type: 'ay', value: cpuMask(r.cpu.mems, 'cpu/mems') });
  }
  if (mode === 'v2') properties.push(...unifiedProperties(r.unified ?? {}, host.version));
  return { properties, warnings: devices.warnings };
}

/** cgroup v2 files that have a systemd property of their own ("max" is infinity). */
const UNIFIED_LIMITS: Record<string, string> = {
  'memory.high': 'MemoryHigh',
  'memory.low': 'MemoryLow',
  'memory.min': 'MemoryMin',
  'memory.max': 'MemoryMax',
  'memory.swap.max': 'MemorySwapMax',
  'pids.max': 'TasksMax',
};

/**
 * linux.resources.unified keys that systemd has a property for, as runc converts them; the other
 * keys have none and are only written to their files (as every key is, afterwards). Coming after
 * the fields' properties, a key wins over a field that sets the same property.
 */
export function unifiedProperties(unified: Record<string, string>, version: number): SystemdProperty[] {
  const props: SystemdProperty[] = [];
  for (const [key, raw] of Object.entries(unified)) {
    const value = raw.trim();
    const bad = (want: string) => fail(`unified/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, `"${raw}" is not ${want}`);
    const uint = (text: string, want: string) => {
      if (!/^\d+$/.test(text) || BigInt(text) >= INFINITY) throw bad(want);
      return BigInt(text);
    };
    if (UNIFIED_LIMITS[key]) props.push(u64(UNIFIED_LIMITS[key]!, value === 'max' ? INFINITY : uint(value, 'a number of bytes or "max"')));
    else if (key === 'cpu.weight') props.push(u64('CPUWeight', uint(value, 'a weight (1-10000)')));
    else if (key === 'cpu.max') {
      const [quota, period, extra] = value.split(/\s+/);
      if (!quota || extra !== undefined) throw bad('"QUOTA [PERIOD]"');
      const q = quota === 'max' ? 0 : Number(uint(quota, '"QUOTA [PERIOD]"'));
      props.push(...cpuQuotaProperties(q, period === undefined ? DEFAULT_PERIOD_US : Number(uint(period, '"QUOTA [PERIOD]"')), version));
    } else if ((key === 'cpuset.cpus' || key === 'cpuset.mems') && version >= 244) {
      props.push({ name: key === 'cpuset.cpus' ? 'AllowedCPUs' : 'AllowedMemoryNodes', type: 'ay', value: cpuMask(value, `unified/${key}`) });
    }
  }
  return props;
}

/**
 * The spec's swap is memory plus swap; v2's MemorySwapMax is swap alone. An unlimited memory with
 * no swap given means unlimited swap too (runc's reading, for v1 compatibility).
 */
export function v2Swap(swap: number, limit: number): number {
  if (limit === -1 && swap === 0) return -1;
  if (swap === -1 || swap === 0) return swap;
  if (limit === 0 || limit === -1) throw fail('memory/swap', 'a swap limit needs a memory limit (memory.limit) to be counted from');
  if (swap < limit) throw fail('memory/swap', `${swap} is memory plus swap, and is below the memory limit (${limit}): give at least the memory limit`);
  return swap - limit;
}

/**
 * CPUQuotaPeriodUSec (systemd 242+) and CPUQuotaPerSecUSec, which systemd keeps as a whole
 * percentage of a CPU: a quota that is not a whole 10 ms per second is rounded up, so that the
 * container's cpu.max is never below what it asked for.
 */
export function cpuQuotaProperties(quota: number, period: number, version: number): SystemdProperty[] {
  const props: SystemdProperty[] = [];
  if (period !== 0 && version >= 242) props.push(u64('CPUQuotaPeriodUSec', period));
  if (quota === 0 && period === 0) return props;
  let perSec = INFINITY;
  if (quota > 0) {
    const p = BigInt(period || DEFAULT_PERIOD_US);
    perSec = (BigInt(quota) * 1_000_000n) / p;
    if (perSec % 10_000n !== 0n) perSec = (perSec / 10_000n + 1n) * 10_000n;
  }
  props.push(u64('CPUQuotaPerSecUSec', perSec));
  return props;
}

/**
 * A cpuset list ("0-3,8") as systemd's AllowedCPUs takes it: a bit per CPU, CPU 0 in the lowest
 * bit of the first byte, as few bytes as hold the highest CPU. (runc 1.1 sent the bytes in the
 * opposite order, which systemd read as other CPUs; runc 1.2 fixed it, and so does this.)
 */
export function cpuMask(list: string, field: string): Uint8Array {
  const cpus: number[] = [];
  for (const item of list.split(',').map((s) => s.trim())) {
    if (!item) continue;
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    const start = m ? Number(m[1]) : NaN;
    const end = m?.[2] !== undefined ? Number(m[2]) : start;
    if (!m || start > end || end > 0xffffffff) throw fail(field, `"${list}" is not a list of numbers and ranges such as 0-3,8`);
    for (let i = start; i <= end; i++) cpus.push(i);
  }
  if (!cpus.length) throw fail(field, `"${list}" names none`);
  const bytes = new Uint8Array(Math.floor(Math.max(...cpus) / 8) + 1);
  for (const cpu of cpus) bytes[cpu >> 3]! |= 1 << (cpu & 7);
  return bytes;
}

/**
 * DevicePolicy and DeviceAllow from the container's device rules (the same list keel's own
 * filter gets). systemd takes only an allow list: a policy that allows everything but some devices
 * becomes "strict" with nothing allowed, with a warning, as runc does, until keel's own filter
 * (which says exactly the rules) is in place.
 */
export function deviceProperties(r: LinuxResources, host: SystemdHost): SystemdResources {
  const strict: SystemdProperty[] = [
    { name: 'DevicePolicy', type: 's', value: 'strict' },
    { name: 'DeviceAllow', type: 'a(ss)', value: [] },
  ];
  // containerDeviceRules puts one rule (deny all) before the config's and runc's defaults after them.
  const given = r.devices?.length ?? 0;
  const nameOf = (i: number) => (i >= 1 && i <= given ? `config.json: /linux/resources/devices/${i - 1}` : 'config.json: /linux/resources/devices, with keel\'s always-allowed devices after it');
  const state = simplifyDeviceRules(containerDeviceRules(r.devices), nameOf);
  if (state.defaultAllow) {
    if (!state.exceptions.length) return { properties: [{ name: 'DevicePolicy', type: 's', value: 'auto' }, { name: 'DeviceAllow', type: 'a(ss)', value: [] }], warnings: [] };
    return { properties: strict, warnings: ['systemd takes no deny rules for devices: the unit allows none, and keel\'s own device filter applies the rules'] };
  }
  const allow: [string, string][] = [];
  const warnings: string[] = [];
  for (const e of state.exceptions) {
    const entry = deviceAllowPath(e, host);
    if (typeof entry === 'string') allow.push([entry, e.access]);
    else warnings.push(entry.warning);
  }
  return { properties: [strict[0]!, { name: 'DeviceAllow', type: 'a(ss)', value: allow }], warnings };
}

/** systemd's name for the devices of one rule: a node, a /proc/devices group, or every char or block device. */
function deviceAllowPath(e: DeviceException, host: SystemdHost): string | { warning: string } {
  const kind = e.type === 'c' ? 'char' : 'block';
  const rule = `${e.type} ${e.major ?? '*'}:${e.minor ?? '*'} ${e.access}`;
  if (e.major === undefined) {
    if (e.minor !== undefined) return { warning: `systemd takes no device rule for a minor number of any major ("${rule}"); keel's own device filter applies it` };
    return `${kind}-*`;
  }
  if (e.minor === undefined) {
    const group = host.deviceGroup(e.type, e.major);
    return group ? `${kind}-${group}` : { warning: `no /proc/devices entry names ${kind} major ${e.major}, so systemd cannot take "${rule}"; keel's own device filter applies it` };
  }
  const path = `/dev/${kind}/${e.major}:${e.minor}`;
  return host.deviceExists(path) || host.deviceExists(`/sys${path}`) ? path : { warning: `${path} does not exist, so systemd cannot take "${rule}"; keel's own device filter applies it` };
}

/** /proc/devices -> the group name of each (type, major), for SystemdHost.deviceGroup. */
export function parseProcDevices(text: string): Map<string, string> {
  const groups = new Map<string, string>();
  let type: 'c' | 'b' | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (line === 'Character devices:') type = 'c';
    else if (line === 'Block devices:') type = 'b';
    else {
      const m = /^(\d+)\s+(\S+)$/.exec(line);
      // The first name for a major wins (a major can be listed twice, as runc takes either).
      if (m && type && !groups.has(`${type} ${m[1]}`)) groups.set(`${type} ${m[1]}`, m[2]!);
    }
  }
  return groups;
}
