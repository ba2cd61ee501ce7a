/**
 * Stats for containerd: keel's cgroup figures (cgroups/stats.ts, runc's shape) as the
 * io.containerd.cgroups.v1.Metrics message that runc's shim sends and `ctr task metrics` prints
 * (field numbers from containerd/cgroups' stats/v1/metrics.proto). Pure.
 */
import type { BlkioEntry, MemoryEntry, Stats } from '../cgroups/stats.js';
import type { Message, Schema } from '../protobuf/proto3.js';

export const METRICS_V1_TYPE_URL = 'io.containerd.cgroups.v1.Metrics';

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
