/**
 * Stats for containerd, as the messages runc's shim sends and `ctr task metrics` prints: on v1
 * (and hybrid) hosts keel's cgroup figures (cgroups/stats.ts, runc's shape) as
 * io.containerd.cgroups.v1.Metrics; on cgroup v2 hosts io.containerd.cgroups.v2.Metrics, read
 * from the cgroup's files as containerd/cgroups' v2 manager reads them (Stat(), in the version
 * containerd 1.6.20 vendors). Field numbers from containerd/cgroups' stats/v1/metrics.proto and
 * v2/stats/metrics.proto. Pure: the files come through a StatsSource's reader.
 */
import { MAX_U64, parseFlatKeyed, type BlkioEntry, type CgroupFileReader, type MemoryEntry, type Stats, type U64 } from '../cgroups/stats.js';
import type { Message, Schema } from '../protobuf/proto3.js';

export const METRICS_V1_TYPE_URL = 'io.containerd.cgroups.v1.Metrics';
export const METRICS_V2_TYPE_URL = 'io.containerd.cgroups.v2.Metrics';

const Entry: Schema = [
  { n: 1, name: 'limit', type: 'uint64' },
  { n: 2, name: 'usage', type: 'uint64' },
  { n: 3, name: 'max', type: 'uint64' },
  { n: 4, name: 'failcnt', type: 'uint64' },
];
const BlkIOEntry: Schema = [
  { n: 1, name: 'op', type: 'string' },
  { n: 2, name: 'device', type: 'string' },
  { n: 3, name: 'major', type: 'uint64' },
  { n: 4, name: 'minor', type: 'uint64' },
  { n: 5, name: 'value', type: 'uint64' },
];

/** memory.stat keys, in MemoryStat's field order (1-32); pgpgin and the like keep the kernel's spelling. */
const MEMORY_STAT_KEYS = [
  'cache', 'rss', 'rss_huge', 'mapped_file', 'dirty', 'writeback', 'pgpgin', 'pgpgout', 'pgfault', 'pgmajfault',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'hierarchical_memory_limit',
  'hierarchical_memsw_limit', 'total_cache', 'total_rss', 'total_rss_huge', 'total_mapped_file', 'total_dirty',
  'total_writeback', 'total_pgpgin', 'total_pgpgout', 'total_pgfault', 'total_pgmajfault', 'total_inactive_anon',
  'total_active_anon', 'total_inactive_file', 'total_active_file', 'total_unevictable',
] as const;

const MemoryStat: Schema = [
  ...MEMORY_STAT_KEYS.map((key, i) => ({ n: i + 1, name: key, type: 'uint64' as const })),
  { n: 33, name: 'usage', type: 'message', of: Entry },
  { n: 34, name: 'swap', type: 'message', of: Entry },
  { n: 35, name: 'kernel', type: 'message', of: Entry },
  { n: 36, name: 'kernelTcp', type: 'message', of: Entry },
];

export const MetricsV1: Schema = [
  {
    n: 1,
    name: 'hugetlb',
    type: 'message',
    repeated: true,
    of: [
      { n: 1, name: 'usage', type: 'uint64' },
      { n: 2, name: 'max', type: 'uint64' },
      { n: 3, name: 'failcnt', type: 'uint64' },
      { n: 4, name: 'pagesize', type: 'string' },
    ],
  },
  {
    n: 2,
    name: 'pids',
    type: 'message',
    of: [
      { n: 1, name: 'current', type: 'uint64' },
      { n: 2, name: 'limit', type: 'uint64' },
    ],
  },
  {
    n: 3,
    name: 'cpu',
    type: 'message',
    of: [
      {
        n: 1,
        name: 'usage',
        type: 'message',
        of: [
          { n: 1, name: 'total', type: 'uint64' },
          { n: 2, name: 'kernel', type: 'uint64' },
          { n: 3, name: 'user', type: 'uint64' },
          { n: 4, name: 'perCpu', type: 'uint64', repeated: true },
        ],
      },
      {
        n: 2,
        name: 'throttling',
        type: 'message',
        of: [
          { n: 1, name: 'periods', type: 'uint64' },
          { n: 2, name: 'throttledPeriods', type: 'uint64' },
          { n: 3, name: 'throttledTime', type: 'uint64' },
        ],
      },
    ],
  },
  { n: 4, name: 'memory', type: 'message', of: MemoryStat },
  {
    n: 5,
    name: 'blkio',
    type: 'message',
    of: ['ioServiceBytesRecursive', 'ioServicedRecursive', 'ioQueueRecursive', 'ioServiceTimeRecursive', 'ioWaitTimeRecursive', 'ioMergedRecursive', 'ioTimeRecursive', 'sectorsRecursive'].map(
      (name, i) => ({ n: i + 1, name, type: 'message' as const, of: BlkIOEntry, repeated: true }),
    ),
  },
];

const entry = (e: MemoryEntry): Message => ({ limit: e.limit, usage: e.usage ?? 0n, max: e.max ?? 0n, failcnt: e.failcnt });
const blkio = (list: BlkioEntry[] | undefined): Message[] =>
  (list ?? []).map((e) => ({ op: e.op ?? '', major: e.major ?? 0n, minor: e.minor ?? 0n, value: e.value ?? 0n }));

/** keel's v1 stats as containerd's v1 Metrics message. */
export function metricsV1(stats: Stats): Message {
  const raw = stats.memory.raw ?? {};
  const memory: Message = { usage: entry(stats.memory.usage), swap: entry(stats.memory.swap), kernel: entry(stats.memory.kernel), kernelTcp: entry(stats.memory.kernelTCP) };
  for (const key of MEMORY_STAT_KEYS) memory[key] = raw[key] ?? 0n;
  const u = stats.cpu.usage;
  const t = stats.cpu.throttling;
  return {
    hugetlb: Object.entries(stats.hugetlb).map(([pagesize, h]) => ({ pagesize, usage: h.usage ?? 0n, max: h.max ?? 0n, failcnt: h.failcnt })),
    pids: { current: stats.pids.current ?? 0n, limit: stats.pids.limit ?? 0n },
    cpu: {
      usage: { total: u.total ?? 0n, kernel: u.kernel, user: u.user, perCpu: u.percpu ?? [] },
      throttling: { periods: t.periods ?? 0n, throttledPeriods: t.throttledPeriods ?? 0n, throttledTime: t.throttledTime ?? 0n },
    },
    memory,
    blkio: {
      ioServiceBytesRecursive: blkio(stats.blkio.ioServiceBytesRecursive),
      ioServicedRecursive: blkio(stats.blkio.ioServicedRecursive),
      ioQueueRecursive: blkio(stats.blkio.ioQueueRecursive),
      ioServiceTimeRecursive: blkio(stats.blkio.ioServiceTimeRecursive),
      ioWaitTimeRecursive: blkio(stats.blkio.ioWaitTimeRecursive),
      ioMergedRecursive: blkio(stats.blkio.ioMergedRecursive),
      ioTimeRecursive: blkio(stats.blkio.ioTimeRecursive),
      sectorsRecursive: blkio(stats.blkio.sectorsRecursive),
    },
  };
}

// ---- cgroup v2 ----

const u64Fields = (names: readonly string[], first = 1): Schema => names.map((name, i) => ({ n: first + i, name, type: 'uint64' as const }));

const CPU_STAT_KEYS = ['usage_usec', 'user_usec', 'system_usec', 'nr_periods', 'nr_throttled', 'throttled_usec'] as const;
/** memory.stat keys, in the v2 MemoryStat's field order (1-31). */
const MEMORY_V2_STAT_KEYS = [
  'anon', 'file', 'kernel_stack', 'slab', 'sock', 'shmem', 'file_mapped', 'file_dirty', 'file_writeback', 'anon_thp',
  'inactive_anon', 'active_anon', 'inactive_file', 'active_file', 'unevictable', 'slab_reclaimable', 'slab_unreclaimable',
  'pgfault', 'pgmajfault', 'workingset_refault', 'workingset_activate', 'workingset_nodereclaim', 'pgrefill', 'pgscan',
  'pgsteal', 'pgactivate', 'pgdeactivate', 'pglazyfree', 'pglazyfreed', 'thp_fault_alloc', 'thp_collapse_alloc',
] as const;
const MEMORY_EVENTS_KEYS = ['low', 'high', 'max', 'oom', 'oom_kill'] as const;
const IO_KEYS = ['rbytes', 'wbytes', 'rios', 'wios'] as const;

const RdmaEntry: Schema = [
  { n: 1, name: 'device', type: 'string' },
  { n: 2, name: 'hcaHandles', type: 'uint32' },
  { n: 3, name: 'hcaObjects', type: 'uint32' },
];

export const MetricsV2: Schema = [
  { n: 1, name: 'pids', type: 'message', of: u64Fields(['current', 'limit']) },
  { n: 2, name: 'cpu', type: 'message', of: u64Fields(CPU_STAT_KEYS) },
  { n: 4, name: 'memory', type: 'message', of: u64Fields([...MEMORY_V2_STAT_KEYS, 'usage', 'usage_limit', 'swap_usage', 'swap_limit']) },
  {
    n: 5,
    name: 'rdma',
    type: 'message',
    of: [
      { n: 1, name: 'current', type: 'message', of: RdmaEntry, repeated: true },
      { n: 2, name: 'limit', type: 'message', of: RdmaEntry, repeated: true },
    ],
  },
  { n: 6, name: 'io', type: 'message', of: [{ n: 1, name: 'usage', type: 'message', repeated: true, of: u64Fields(['major', 'minor', ...IO_KEYS]) }] },
  { n: 7, name: 'hugetlb', type: 'message', repeated: true, of: [...u64Fields(['current', 'max']), { n: 3, name: 'pagesize', type: 'string' }] },
  { n: 8, name: 'memory_events', type: 'message', of: u64Fields(MEMORY_EVENTS_KEYS) },
];

/** A single-number file as containerd reads it: "max" is 2^64-1; missing or unreadable is 0. */
function singleValue(text: string | undefined): U64 {
  const t = text?.trim();
  if (t === 'max') return MAX_U64;
  return t && /^\d+$/.test(t) ? BigInt(t) : 0n;
}

function pick(values: Record<string, U64>, keys: readonly string[]): Message {
  return Object.fromEntries(keys.map((k) => [k, values[k] ?? 0n]));
}

/** io.stat: one entry per device line, its four counters (the rest of the line is ignored). */
function ioUsage(text: string | undefined): Message[] {
  const out: Message[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(' ');
    const m = device?.match(/^(\d+):(\d+)$/);
    if (!m) continue;
    const entry: Message = { major: BigInt(m[1]!), minor: BigInt(m[2]!), rbytes: 0n, wbytes: 0n, rios: 0n, wios: 0n };
    for (const pair of pairs) {
      const [key, value] = pair.split('=');
      if ((IO_KEYS as readonly string[]).includes(key!) && value !== undefined && /^\d+$/.test(value)) entry[key!] = BigInt(value);
    }
    out.push(entry);
  }
  return out;
}

/** hugetlb.<size>.current and .max, one entry per page size (sorted: containerd's order is its map's). */
function hugetlbUsage(read: CgroupFileReader, files: string[]): Message[] {
  const sizes = new Map<string, Message>();
  for (const name of files) {
    const [prefix, size, kind, extra] = name.split('.');
    if (prefix !== 'hugetlb' || !size || extra !== undefined || (kind !== 'current' && kind !== 'max')) continue;
    const entry = sizes.get(size) ?? { pagesize: size, current: 0n, max: 0n };
    entry[kind] = singleValue(read('hugetlb', name));
    sizes.set(size, entry);
  }
  return [...sizes.keys()].sort().map((size) => sizes.get(size)!);
}

/** A v2 cgroup's figures as containerd's v2 Metrics message. */
export function metricsV2(read: CgroupFileReader, listHugetlb: () => string[]): Message {
  const memoryStat = parseFlatKeyed(read('memory', 'memory.stat'));
  const events = read('memory', 'memory.events');
  return {
    pids: { current: singleValue(read('pids', 'pids.current')), limit: singleValue(read('pids', 'pids.max')) },
    cpu: pick(parseFlatKeyed(read('cpu', 'cpu.stat')), CPU_STAT_KEYS),
    memory: {
      ...pick(memoryStat, MEMORY_V2_STAT_KEYS),
      usage: singleValue(read('memory', 'memory.current')),
      usage_limit: singleValue(read('memory', 'memory.max')),
      swap_usage: singleValue(read('memory', 'memory.swap.current')),
      swap_limit: singleValue(read('memory', 'memory.swap.max')),
    },
    rdma: { current: [], limit: [] },
    io: { usage: ioUsage(read('io', 'io.stat')) },
    hugetlb: hugetlbUsage(read, listHugetlb()),
    // Only when memory.events has something to say, as containerd leaves it out otherwise.
    ...(Object.keys(parseFlatKeyed(events)).length ? { memory_events: pick(parseFlatKeyed(events), MEMORY_EVENTS_KEYS) } : {}),
  };
}
