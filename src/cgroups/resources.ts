/**
 * linux.resources -> the cgroup files to write, for each cgroup version. Pure: the manager writes
 * what these return, in order, and tests compare them with what runc writes.
 */
import type { LinuxDeviceCgroup, LinuxResources } from '../spec/types.js';
import type { CgroupMode } from './layout.js';
import { ConfigError } from '../spec/problem.js';

/** One write: on v1, `controller` names the hierarchy the file lives in. */
export interface CgroupWrite {
  controller: string;
  file: string;
  value: string;
  /** The config field it comes from (a JSON pointer), for errors: "/linux/resources/blockIO/weight". */
  field: string;
}

const R = '/linux/resources';

/** cgroup v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000), the mapping runc and crun use. */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** blkio.weight (10..1000) -> io.weight (1..10000). */
export function blkioToIoWeight(weight: number): number {
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

const limit = (n: number) => (n < 0 ? 'max' : String(n));

/**
 * Devices a container may always use (runc's default list): /dev/null, zero, full, tty, random,
 * urandom, ptmx and the pts terminals, plus mknod of anything (creating a node is not using it).
 */
export const DEFAULT_ALLOWED_DEVICES: LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
];

/**
 * The device rules a container gets, in order, for either version (v1 files, v2 program):
 * everything denied, then the config's rules, then runc's always-allowed devices, last so that no
 * rule can take them away. As with runc, a config without rules gets the same baseline, and the
 * nodes linux.devices creates get no rule of their own (engines send one: `--device`).
 */
export function containerDeviceRules(devices: LinuxDeviceCgroup[] = []): LinuxDeviceCgroup[] {
  return [DENY_ALL_DEVICES, ...devices, ...DEFAULT_ALLOWED_DEVICES];
}

const DENY_ALL_DEVICES: LinuxDeviceCgroup = { allow: false, access: 'rwm' };

/**
 * The device rules as v1 devices.allow/deny writes (only at create: rewriting them later would
 * deny every device for a moment). A rule for every device (type "a") starts over, in the kernel
 * as in the v2 program, so the writes begin at the last one: the rules before it change nothing,
 * and a config's own deny-all (`keel spec`'s and engines' first rule) would only repeat keel's, as
 * runc, which writes the deny-all once, does not.
 */
export function v1DeviceWrites(devices: LinuxDeviceCgroup[] | undefined): CgroupWrite[] {
  const rules = containerDeviceRules(devices);
  const lastReset = rules.findLastIndex((d) => (d.type ?? 'a') === 'a');
  return rules.slice(lastReset).map((d) => ({ controller: 'devices', file: d.allow ? 'devices.allow' : 'devices.deny', value: deviceRule(d), field: `${R}/devices` }));
}

function deviceRule(d: LinuxDeviceCgroup): string {
  const type = d.type ?? 'a';
  if (type === 'a') return 'a';
  return `${type} ${d.major ?? '*'}:${d.minor ?? '*'} ${d.access ?? 'rwm'}`;
}

/**
 * Fields keel accepts but does not apply, as runc: a kernel memory limit (deprecated by the
 * kernel, and runc ignores it too), and on v2 the kernel TCP limit (v2 has no such file).
 */
export function resourceWarnings(mode: CgroupMode, r: LinuxResources): string[] {
  const warnings: string[] = [];
  if (r.memory?.kernel !== undefined) warnings.push('/linux/resources/memory/kernel: kernel memory limits are deprecated by the kernel and not applied (as with runc); remove the field');
  // The kernel made v1's memory.use_hierarchy always 1 (6.x refuses 0), and v2 has no other way.
  if (r.memory?.useHierarchy === false) warnings.push('/linux/resources/memory/useHierarchy: false is not applied: this kernel always accounts memory hierarchically');
  if (mode === 'v2' && r.memory?.kernelTCP !== undefined) warnings.push('/linux/resources/memory/kernelTCP: cgroup v2 has no kernel TCP limit; not applied');
  return warnings;
}

/** The limits' v1 files (device rules are v1DeviceWrites'). */
export function v1Writes(r: LinuxResources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (field: string, controller: string, file: string, value: string | number) => w.push({ controller, file, value: String(value), field: R + field });
  if (r.unified && Object.keys(r.unified).length) {
    throw new ConfigError('/linux/resources/unified', 'these are cgroup v2 files, and this host runs the controllers on cgroup v1: move the limits to the v1 fields (memory, cpu, pids, ...)');
  }
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) add('/memory/limit', 'memory', 'memory.limit_in_bytes', m.limit);
    if (m.swap !== undefined) add('/memory/swap', 'memory', 'memory.memsw.limit_in_bytes', m.swap);
    if (m.reservation !== undefined) add('/memory/reservation', 'memory', 'memory.soft_limit_in_bytes', m.reservation);
    if (m.kernelTCP !== undefined) add('/memory/kernelTCP', 'memory', 'memory.kmem.tcp.limit_in_bytes', m.kernelTCP);
    if (m.swappiness !== undefined && m.swappiness >= 0) add('/memory/swappiness', 'memory', 'memory.swappiness', m.swappiness);
    if (m.disableOOMKiller) add('/memory/disableOOMKiller', 'memory', 'memory.oom_control', 1);
  }
  const c = r.cpu;
  if (c) {
    if (c.shares) add('/cpu/shares', 'cpu', 'cpu.shares', c.shares);
    // The period first: a quota is checked against the period in force.
    if (c.period) add('/cpu/period', 'cpu', 'cpu.cfs_period_us', c.period);
    if (c.quota !== undefined && c.quota !== 0) add('/cpu/quota', 'cpu', 'cpu.cfs_quota_us', c.quota);
    if (c.burst !== undefined) add('/cpu/burst', 'cpu', 'cpu.cfs_burst_us', c.burst);
    if (c.realtimePeriod) add('/cpu/realtimePeriod', 'cpu', 'cpu.rt_period_us', c.realtimePeriod);
    if (c.realtimeRuntime) add('/cpu/realtimeRuntime', 'cpu', 'cpu.rt_runtime_us', c.realtimeRuntime);
    if (c.cpus) add('/cpu/cpus', 'cpuset', 'cpuset.cpus', c.cpus);
    if (c.mems) add('/cpu/mems', 'cpuset', 'cpuset.mems', c.mems);
  }
  if (r.pids?.limit !== undefined) add('/pids/limit', 'pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  const b = r.blockIO;
  if (b) {
    if (b.weight) add('/blockIO/weight', 'blkio', 'blkio.weight', b.weight);
    if (b.leafWeight) add('/blockIO/leafWeight', 'blkio', 'blkio.leaf_weight', b.leafWeight);
    (b.weightDevice ?? []).forEach((d, i) => {
      if (d.weight) add(`/blockIO/weightDevice/${i}/weight`, 'blkio', 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`);
      if (d.leafWeight) add(`/blockIO/weightDevice/${i}/leafWeight`, 'blkio', 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    });
    const throttles: [keyof typeof b, string][] = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ];
    for (const [key, file] of throttles) ((b[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []).forEach((d, i) => add(`/blockIO/${key}/${i}`, 'blkio', file, `${d.major}:${d.minor} ${d.rate}`));
  }
  (r.hugepageLimits ?? []).forEach((h, i) => add(`/hugepageLimits/${i}`, 'hugetlb', `hugetlb.${h.pageSize}.limit_in_bytes`, h.limit));
  if (r.network?.classID !== undefined) add('/network/classID', 'net_cls', 'net_cls.classid', r.network.classID);
  (r.network?.priorities ?? []).forEach((p, i) => add(`/network/priorities/${i}`, 'net_prio', 'net_prio.ifpriomap', `${p.name} ${p.priority}`));
  for (const [device, l] of Object.entries(r.rdma ?? {})) add(`/rdma/${pointerToken(device)}`, 'rdma', 'rdma.max', rdmaLine(device, l));
  return w;
}

/** A key as one JSON pointer token (RFC 6901). */
const pointerToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

function rdmaLine(device: string, l: { hcaHandles?: number; hcaObjects?: number }): string {
  const parts = [device];
  if (l.hcaHandles !== undefined) parts.push(`hca_handle=${l.hcaHandles}`);
  if (l.hcaObjects !== undefined) parts.push(`hca_object=${l.hcaObjects}`);
  return parts.join(' ');
}

export function v2Writes(r: LinuxResources): CgroupWrite[] {
  const w: CgroupWrite[] = [];
  const add = (field: string, controller: string, file: string, value: string | number) => w.push({ controller, file, value: String(value), field: R + field });
  const m = r.memory;
  if (m) {
    if (m.limit !== undefined) add('/memory/limit', 'memory', 'memory.max', limit(m.limit));
    if (m.reservation !== undefined) add('/memory/reservation', 'memory', 'memory.low', limit(m.reservation));
    // The spec's swap is memory plus swap; v2 limits swap alone.
    if (m.swap !== undefined) add('/memory/swap', 'memory', 'memory.swap.max', m.swap < 0 ? 'max' : String(Math.max(0, m.swap - (m.limit ?? 0))));
  }
  const c = r.cpu;
  if (c) {
    if (c.shares) add('/cpu/shares', 'cpu', 'cpu.weight', sharesToWeight(c.shares));
    // "QUOTA PERIOD"; without a period the kernel keeps the one in force (100000 in a new cgroup).
    if ((c.quota !== undefined && c.quota !== 0) || c.period) add(c.quota !== undefined && c.quota !== 0 ? '/cpu/quota' : '/cpu/period', 'cpu', 'cpu.max', `${c.quota && c.quota > 0 ? c.quota : 'max'}${c.period ? ` ${c.period}` : ''}`);
    if (c.burst !== undefined) add('/cpu/burst', 'cpu', 'cpu.max.burst', c.burst);
    if (c.idle !== undefined) add('/cpu/idle', 'cpu', 'cpu.idle', c.idle);
    if (c.cpus) add('/cpu/cpus', 'cpuset', 'cpuset.cpus', c.cpus);
    if (c.mems) add('/cpu/mems', 'cpuset', 'cpuset.mems', c.mems);
  }
  if (r.pids?.limit !== undefined) add('/pids/limit', 'pids', 'pids.max', r.pids.limit > 0 ? r.pids.limit : 'max');
  const b = r.blockIO;
  if (b?.weight) add('/blockIO/weight', 'io', 'io.weight', blkioToIoWeight(b.weight));
  const io: [string, string][] = [
    ['throttleReadBpsDevice', 'rbps'],
    ['throttleWriteBpsDevice', 'wbps'],
    ['throttleReadIOPSDevice', 'riops'],
    ['throttleWriteIOPSDevice', 'wiops'],
  ];
  for (const [key, name] of io) {
    (((b as Record<string, unknown> | undefined)?.[key] as { major: number; minor: number; rate: number }[] | undefined) ?? []).forEach((d, i) => add(`/blockIO/${key}/${i}`, 'io', 'io.max', `${d.major}:${d.minor} ${name}=${d.rate}`));
  }
  (r.hugepageLimits ?? []).forEach((h, i) => add(`/hugepageLimits/${i}`, 'hugetlb', `hugetlb.${h.pageSize}.max`, h.limit));
  for (const [device, l] of Object.entries(r.rdma ?? {})) add(`/rdma/${pointerToken(device)}`, 'rdma', 'rdma.max', rdmaLine(device, l));
  for (const [file, value] of Object.entries(r.unified ?? {})) {
    // A key is a file of the container's own cgroup: "../../pids.max" would be its parent's (runc refuses a "/" too).
    if (!/^[^./]+\.[^/]+$/.test(file)) throw new ConfigError(`/linux/resources/unified/${pointerToken(file)}`, 'a key is a file name of the form CONTROLLER.PARAMETER (e.g. memory.high), without "/"');
    add(`/unified/${pointerToken(file)}`, file.split('.')[0]!, file, value);
  }
  return w;
}

/**
 * `keel update`: the recorded resources with the update laid over them one level deep, so that
 * an update of cpu.quota keeps the recorded cpu.period and shares.
 */
export function mergeResources(recorded: LinuxResources, update: LinuxResources): LinuxResources {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  const merged: Record<string, unknown> = { ...recorded };
  for (const [key, value] of Object.entries(update)) {
    const before = (recorded as Record<string, unknown>)[key];
    merged[key] = isObject(value) && isObject(before) ? { ...(before as object), ...(value as object) } : value;
  }
  return merged as LinuxResources;
}

/**
 * What `keel update` writes on v2, where one file holds two fields: cpu.max is quota and period
 * (an update of one keeps the other, from the merged resources), and memory.swap.max is swap
 * minus the memory limit (so a new limit or a new swap is written with the other one).
 */
export function v2UpdateResources(update: LinuxResources, merged: LinuxResources): LinuxResources {
  const out: LinuxResources = { ...update };
  if (update.cpu && (update.cpu.quota !== undefined || update.cpu.period !== undefined)) {
    out.cpu = { ...update.cpu, quota: merged.cpu?.quota, period: merged.cpu?.period };
  }
  const m = update.memory;
  if (m && (m.limit !== undefined || m.swap !== undefined) && merged.memory?.swap !== undefined) {
    out.memory = { ...m, limit: merged.memory.limit, swap: merged.memory.swap };
  }
  return out;
}
