/**
 * A container's resource usage, read from its cgroup files and shaped like runc's `events --stats`
 * data (runc's types/events.go), which containerd (`ctr task metrics`) and podman (`stats`) parse.
 *
 * Counters are bigint: cgroup limits such as v1's 9223372036854771712 or v2's "max" (reported as
 * 2^64-1, as runc does) do not fit a double, and a Go reader refuses a uint64 that came out rounded
 * up. The shape follows Go's encoding/json rules for runc's struct tags: a field tagged omitempty
 * is left out when it is 0 or an empty list, other fields are always there.
 *
 * The parsers are pure; collectStats takes a function that reads one controller's file, so tests
 * run it over a fake cgroupfs tree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type U64 = bigint;
export const MAX_U64 = (1n << 64n) - 1n;

export interface MemoryEntry {
  limit: U64;
  usage?: U64;
  max?: U64;
  failcnt: U64;
}

export interface BlkioEntry {
  major?: U64;
  minor?: U64;
  op?: string;
  value?: U64;
}

export interface Stats {
  cpu: {
    usage: { total?: U64; percpu?: U64[]; percpu_kernel?: U64[]; percpu_user?: U64[]; kernel: U64; user: U64 };
    throttling: { periods?: U64; throttledPeriods?: U64; throttledTime?: U64 };
  };
  cpuset: {
    cpus?: number[];
    cpu_exclusive: U64;
    mems?: number[];
    mem_hardwall: U64;
    mem_exclusive: U64;
    memory_migrate: U64;
    memory_spread_page: U64;
    memory_spread_slab: U64;
    memory_pressure: U64;
    sched_load_balance: U64;
    sched_relax_domain_level: U64;
  };
  memory: { cache?: U64; usage: MemoryEntry; swap: MemoryEntry; kernel: MemoryEntry; kernelTCP: MemoryEntry; raw?: Record<string, U64> };
  pids: { current?: U64; limit?: U64 };
  blkio: {
    ioServiceBytesRecursive?: BlkioEntry[];
    ioServicedRecursive?: BlkioEntry[];
    ioQueueRecursive?: BlkioEntry[];
    ioServiceTimeRecursive?: BlkioEntry[];
    ioWaitTimeRecursive?: BlkioEntry[];
    ioMergedRecursive?: BlkioEntry[];
    ioTimeRecursive?: BlkioEntry[];
    sectorsRecursive?: BlkioEntry[];
  };
  hugetlb: Record<string, { usage?: U64; max?: U64; failcnt: U64 }>;
  intel_rdt: Record<string, never>;
  network_interfaces: null;
}

/** Reads one file of the cgroup that holds `controller`; undefined when there is no such file. */
export type CgroupFileReader = (controller: string, file: string) => string | undefined;

// ---- parsers (pure) ----

/** A single-number file; "max" is 2^64-1, as runc reports it. */
export function parseU64(text: string | undefined): U64 {
  const t = text?.trim();
  if (!t) return 0n;
  if (t === 'max') return MAX_U64;
  // A v1 limit can be written as -1 and read back negative on some kernels: that is "no limit".
  if (t.startsWith('-')) return MAX_U64;
  return /^\d+$/.test(t) ? BigInt(t) : 0n;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, cpuacct.stat, memory.oom_control). */
export function parseFlatKeyed(text: string | undefined): Record<string, U64> {
  const out: Record<string, U64> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (key && value !== undefined && extra === undefined && /^\d+$/.test(value)) out[key] = BigInt(value);
  }
  return out;
}

/** Space-separated numbers (cpuacct.usage_percpu). */
export function parseNumberList(text: string | undefined): U64[] {
  return (text ?? '')
    .trim()
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map((s) => BigInt(s));
}

/** cpuacct.usage_all: a "cpu user system" header, then one row per CPU. */
export function parseUsageAll(text: string | undefined): { user: U64[]; kernel: U64[] } {
  const user: U64[] = [];
  const kernel: U64[] = [];
  for (const line of (text ?? '').split('\n').slice(1)) {
    const [cpu, u, s] = line.trim().split(/\s+/);
    if (cpu === undefined || u === undefined || s === undefined) continue;
    user.push(BigInt(u));
    kernel.push(BigInt(s));
  }
  return { user, kernel };
}

/** A cpuset list such as "0-3,8" -> [0, 1, 2, 3, 8]. */
export function parseCpuList(text: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (text ?? '').trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

/** v1 blkio files: "8:0 Read 4096" lines (or "8:0 4096" for sectors and time); "Total N" is skipped. */
export function parseBlkioV1(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const fields = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(fields[0] ?? '');
    if (!dev || fields.length < 2 || fields.length > 3) continue;
    const [op, value] = fields.length === 3 ? [fields[1]!, fields[2]!] : ['', fields[1]!];
    if (!/^\d+$/.test(value)) continue;
    out.push(blkioEntry(BigInt(dev[1]!), BigInt(dev[2]!), op, BigInt(value)));
  }
  return out;
}

function blkioEntry(major: U64, minor: U64, op: string, value: U64): BlkioEntry {
  return { major: omit(major), minor: omit(minor), op: op || undefined, value: omit(value) };
}

/** v2 io.stat: "8:0 rbytes=1 wbytes=2 rios=3 wios=4 ..." in v1's names (Read/Write), as runc maps them. */
export function parseIoStat(text: string | undefined): Stats['blkio'] {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  const tables: Record<string, [BlkioEntry[], string]> = { rbytes: [bytes, 'Read'], wbytes: [bytes, 'Write'], rios: [ios, 'Read'], wios: [ios, 'Write'] };
  for (const line of (text ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!dev) continue;
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      const table = tables[key!];
      if (table && value !== undefined && /^\d+$/.test(value)) table[0].push(blkioEntry(BigInt(dev[1]!), BigInt(dev[2]!), table[1], BigInt(value)));
    }
  }
  return { ioServiceBytesRecursive: nonEmpty(bytes), ioServicedRecursive: nonEmpty(ios) };
}

/** Go writes a map's keys sorted; so do we, for the maps in this shape (raw, hugetlb). */
function sortedMap<T>(map: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(map).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function omit(n: U64): U64 | undefined {
  return n === 0n ? undefined : n;
}

function nonEmpty<T>(list: T[]): T[] | undefined {
  return list.length ? list : undefined;
}

function memoryEntry(limit: U64, usage: U64, max: U64, failcnt: U64): MemoryEntry {
  return { limit, usage: omit(usage), max: omit(max), failcnt };
}

// ---- collection over one container's cgroup files ----

/** Clock ticks per second of cpuacct.stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100n;

/**
 * v1 blkio: the first group of files that exists and has entries wins (BFQ, then CFQ, then the
 * throttle counters), the order in which runc looks.
 */
const V1_BLKIO_GROUPS: [keyof Stats['blkio'], string][][] = [
  [
    ['ioServiceBytesRecursive', 'blkio.bfq.io_service_bytes_recursive'],
    ['ioServicedRecursive', 'blkio.bfq.io_serviced_recursive'],
  ],
  [
    ['sectorsRecursive', 'blkio.sectors_recursive'],
    ['ioServiceTimeRecursive', 'blkio.io_service_time_recursive'],
    ['ioWaitTimeRecursive', 'blkio.io_wait_time_recursive'],
    ['ioMergedRecursive', 'blkio.io_merged_recursive'],
    ['ioQueueRecursive', 'blkio.io_queued_recursive'],
    ['ioTimeRecursive', 'blkio.time_recursive'],
    ['ioServiceBytesRecursive', 'blkio.io_service_bytes_recursive'],
    ['ioServicedRecursive', 'blkio.io_serviced_recursive'],
  ],
  [
    ['ioServiceBytesRecursive', 'blkio.throttle.io_service_bytes_recursive'],
    ['ioServicedRecursive', 'blkio.throttle.io_serviced_recursive'],
  ],
  [
    ['ioServiceBytesRecursive', 'blkio.throttle.io_service_bytes'],
    ['ioServicedRecursive', 'blkio.throttle.io_serviced'],
  ],
];

function v1Blkio(read: CgroupFileReader): Stats['blkio'] {
  for (const group of V1_BLKIO_GROUPS) {
    const first = parseBlkioV1(read('blkio', group[0]![1]));
    if (!first.length) continue;
    const out: Stats['blkio'] = {};
    for (const [key, file] of group) out[key] = nonEmpty(parseBlkioV1(read('blkio', file)));
    return out;
  }
  return {};
}

/** v1's cpuset files; on v2 the flags read 0 and the lists are left out, as runc 1.1 reports them. */
function cpusetStats(read: CgroupFileReader, v2: boolean): Stats['cpuset'] {
  const flag = (name: string) => (v2 ? 0n : parseU64(read('cpuset', `cpuset.${name}`)));
  const list = (name: string) => (v2 ? undefined : nonEmpty(parseCpuList(read('cpuset', `cpuset.${name}`))));
  const relax = read('cpuset', 'cpuset.sched_relax_domain_level')?.trim();
  return {
    cpus: list('cpus'),
    cpu_exclusive: flag('cpu_exclusive'),
    mems: list('mems'),
    mem_hardwall: flag('mem_hardwall'),
    mem_exclusive: flag('mem_exclusive'),
    memory_migrate: flag('memory_migrate'),
    memory_spread_page: flag('memory_spread_page'),
    memory_spread_slab: flag('memory_spread_slab'),
    memory_pressure: flag('memory_pressure'),
    sched_load_balance: flag('sched_load_balance'),
    // Signed in the kernel (-1: the system default); kept as a bigint like the rest.
    sched_relax_domain_level: !v2 && relax && /^-?\d+$/.test(relax) ? BigInt(relax) : 0n,
  };
}

/** Page sizes with hugetlb files in the container's hugetlb cgroup ("2MB", "1GB"). */
function hugetlbStats(read: CgroupFileReader, listHugetlb: () => string[], v2: boolean): Stats['hugetlb'] {
  const out: Stats['hugetlb'] = {};
  const suffix = v2 ? '.current' : '.usage_in_bytes';
  for (const name of listHugetlb()) {
    if (!name.startsWith('hugetlb.') || !name.endsWith(suffix) || name.includes('.rsvd.')) continue;
    const size = name.slice('hugetlb.'.length, -suffix.length);
    if (v2) {
      const events = parseFlatKeyed(read('hugetlb', `hugetlb.${size}.events`));
      out[size] = { usage: omit(parseU64(read('hugetlb', name))), failcnt: events.max ?? 0n };
    } else {
      out[size] = {
        usage: omit(parseU64(read('hugetlb', name))),
        max: omit(parseU64(read('hugetlb', `hugetlb.${size}.max_usage_in_bytes`))),
        failcnt: parseU64(read('hugetlb', `hugetlb.${size}.failcnt`)),
      };
    }
  }
  return sortedMap(out);
}

export interface StatsSource {
  /** v2 when every controller lives in one cgroup2 directory; v1 for v1 and hybrid hosts. */
  v2: boolean;
  read: CgroupFileReader;
  /** The file names in the container's hugetlb cgroup directory (none when it has none). */
  listHugetlb: () => string[];
}

export function collectStats({ v2, read, listHugetlb }: StatsSource): Stats {
  return v2 ? collectV2(read, listHugetlb) : collectV1(read, listHugetlb);
}

function collectV1(read: CgroupFileReader, listHugetlb: () => string[]): Stats {
  const acct = parseFlatKeyed(read('cpuacct', 'cpuacct.stat'));
  const all = parseUsageAll(read('cpuacct', 'cpuacct.usage_all'));
  const throttle = parseFlatKeyed(read('cpu', 'cpu.stat'));
  const mem = (prefix: string) =>
    memoryEntry(
      parseU64(read('memory', `${prefix}.limit_in_bytes`)),
      parseU64(read('memory', `${prefix}.usage_in_bytes`)),
      parseU64(read('memory', `${prefix}.max_usage_in_bytes`)),
      parseU64(read('memory', `${prefix}.failcnt`)),
    );
  const raw = parseFlatKeyed(read('memory', 'memory.stat'));
  const pidsMax = read('pids', 'pids.max')?.trim();
  return {
    cpu: {
      usage: {
        total: omit(parseU64(read('cpuacct', 'cpuacct.usage'))),
        percpu: nonEmpty(parseNumberList(read('cpuacct', 'cpuacct.usage_percpu'))),
        percpu_kernel: nonEmpty(all.kernel),
        percpu_user: nonEmpty(all.user),
        kernel: ((acct.system ?? 0n) * 1_000_000_000n) / USER_HZ,
        user: ((acct.user ?? 0n) * 1_000_000_000n) / USER_HZ,
      },
      throttling: { periods: omit(throttle.nr_periods ?? 0n), throttledPeriods: omit(throttle.nr_throttled ?? 0n), throttledTime: omit(throttle.throttled_time ?? 0n) },
    },
    cpuset: cpusetStats(read, false),
    memory: {
      cache: omit(raw.cache ?? 0n),
      usage: mem('memory'),
      swap: mem('memory.memsw'),
      kernel: mem('memory.kmem'),
      kernelTCP: mem('memory.kmem.tcp'),
      raw: Object.keys(raw).length ? sortedMap(raw) : undefined,
    },
    // runc reports an unlimited pids.max as no limit at all.
    pids: { current: omit(parseU64(read('pids', 'pids.current'))), limit: pidsMax === 'max' ? undefined : omit(parseU64(pidsMax)) },
    blkio: v1Blkio(read),
    hugetlb: hugetlbStats(read, listHugetlb, false),
    intel_rdt: {},
    network_interfaces: null,
  };
}

function collectV2(read: CgroupFileReader, listHugetlb: () => string[]): Stats {
  const cpu = parseFlatKeyed(read('cpu', 'cpu.stat'));
  const raw = parseFlatKeyed(read('memory', 'memory.stat'));
  const usage = parseU64(read('memory', 'memory.current'));
  const limit = read('memory', 'memory.max') === undefined ? MAX_U64 : parseU64(read('memory', 'memory.max'));
  const swapUsage = parseU64(read('memory', 'memory.swap.current'));
  const swapLimit = read('memory', 'memory.swap.max') === undefined ? 0n : parseU64(read('memory', 'memory.swap.max'));
  const pidsMax = read('pids', 'pids.max')?.trim();
  const us = (key: string) => (cpu[key] ?? 0n) * 1000n;
  return {
    cpu: {
      usage: { total: omit(us('usage_usec')), kernel: us('system_usec'), user: us('user_usec') },
      throttling: { periods: omit(cpu.nr_periods ?? 0n), throttledPeriods: omit(cpu.nr_throttled ?? 0n), throttledTime: omit(us('throttled_usec')) },
    },
    cpuset: cpusetStats(read, true),
    memory: {
      cache: omit(raw.file ?? 0n),
      // failcnt: how often the limit was hit, v2's memory.events "max".
      usage: memoryEntry(limit, usage, 0n, parseFlatKeyed(read('memory', 'memory.events')).max ?? 0n),
      // v1 reports memory+swap here; runc adds the two on v2 to keep that meaning.
      swap: memoryEntry(swapLimit === MAX_U64 ? MAX_U64 : swapLimit + limit, swapUsage + usage, 0n, 0n),
      kernel: memoryEntry(0n, 0n, 0n, 0n),
      kernelTCP: memoryEntry(0n, 0n, 0n, 0n),
      raw: Object.keys(raw).length ? sortedMap(raw) : undefined,
    },
    pids: { current: omit(parseU64(read('pids', 'pids.current'))), limit: pidsMax === 'max' ? undefined : omit(parseU64(pidsMax)) },
    blkio: parseIoStat(read('io', 'io.stat')),
    hugetlb: hugetlbStats(read, listHugetlb, true),
    intel_rdt: {},
    network_interfaces: null,
  };
}

/** How many times the kernel's OOM killer killed a process in the container (v1 oom_control, v2 memory.events). */
export function oomKillCount(read: CgroupFileReader, v2: boolean): U64 {
  return parseFlatKeyed(read('memory', v2 ? 'memory.events' : 'memory.oom_control')).oom_kill ?? 0n;
}

// ---- reading real directories ----

/**
 * A reader over a container's cgroup directories: `dirFor` says which directory holds a
 * controller's files (the one v2 directory, or the v1 hierarchy that mounts it).
 */
export function directoryReader(dirFor: (controller: string) => string | undefined): { read: CgroupFileReader; list: (controller: string) => string[] } {
  return {
    read: (controller, file) => {
      const dir = dirFor(controller);
      if (!dir) return undefined;
      try {
        return readFileSync(join(dir, file), 'utf8');
      } catch {
        return undefined;
      }
    },
    list: (controller) => {
      const dir = dirFor(controller);
      if (!dir) return [];
      try {
        return readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}

/**
 * JSON text as Go writes it for these structs: bigints as plain integers (exact), undefined
 * fields left out, null kept. One line, no spaces, like runc.
 */
export function toGoJson(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toGoJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${toGoJson(v)}`);
  return `{${parts.join(',')}}`;
}
