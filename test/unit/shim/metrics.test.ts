/**
 * Stats as containerd's io.containerd.cgroups.v1.Metrics: bytes compared with protoc 3.21's
 * encoding of the same figures under containerd/cgroups' stats/v1/metrics.proto field numbers
 * (`ctr task metrics` decodes this message; the engine lane's metrics scenario reads its table).
 */
import { describe, expect, it } from 'vitest';

import type { Stats } from '../../../src/cgroups/stats.js';
import { metricsV1, MetricsV1, metricsV2, MetricsV2 } from '../../../src/shim/metrics.js';
import { encode } from '../../../src/protobuf/proto3.js';

const none = { limit: 0n, failcnt: 0n };
const stats: Stats = {
  cpu: { usage: { total: 10n, percpu: [3n, 7n], kernel: 4n, user: 6n }, throttling: {} },
  cpuset: {} as Stats['cpuset'],
  memory: { cache: 5n, usage: { limit: 67108864n, usage: 1000n, max: 2000n, failcnt: 0n }, swap: { limit: 1n, failcnt: 0n }, kernel: none, kernelTCP: none, raw: { cache: 5n, rss: 9n, total_cache: 5n } },
  pids: { current: 2n, limit: 10n },
  blkio: {},
  hugetlb: {},
  intel_rdt: {},
  network_interfaces: null,
};

describe('metricsV1', () => {
  it('encodes as protoc does: pids, cpu usage with per-cpu (packed), memory.stat keys and the usage entry', () => {
    // pids { current: 2 limit: 10 } cpu { usage { total: 10 kernel: 4 user: 6 per_cpu: 3 per_cpu: 7 } throttling { } }
    // memory { cache: 5 rss: 9 total_cache: 5 usage { limit: 67108864 usage: 1000 max: 2000 } swap { limit: 1 } kernel { } kernel_tcp { } } blkio { }
    const want = '12040802100a1a0e0a0a080a100418062202030712002220080510099001058a020b088080802010e80718d00f92020208019a0200a202002a00';
    expect(encode(MetricsV1, metricsV1(stats)).toString('hex')).toBe(want);
  });
});

/**
 * A cgroup v2 directory's files (as kernel 6.1 writes them, trimmed) read as containerd/cgroups'
 * v2 manager reads them, against protoc 3.21's encoding of the expected message under
 * containerd 1.6.20's vendored v2/stats/metrics.proto (gogoproto options removed):
 *   pids { current: 3 limit: 18446744073709551615 }
 *   cpu { usage_usec: 12345 user_usec: 10000 system_usec: 2345 }
 *   memory { anon: 4096 file: 8192 kernel_stack: 16384 pgfault: 42 usage: 135168 usage_limit: 67108864 swap_limit: 18446744073709551615 }
 *   rdma { }
 *   io { usage { major: 8 minor: 0 rbytes: 4096 rios: 1 } }
 *   hugetlb { current: 0 max: 18446744073709551615 pagesize: "2MB" }
 *   memory_events { max: 2 oom: 1 oom_kill: 1 }
 */
describe('metricsV2', () => {
  const files: Record<string, string> = {
    'pids.current': '3\n',
    'pids.max': 'max\n',
    'cpu.stat': 'usage_usec 12345\nuser_usec 10000\nsystem_usec 2345\ncore_sched.force_idle_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n',
    'memory.stat': 'anon 4096\nfile 8192\nkernel 20480\nkernel_stack 16384\npagetables 0\npercpu 0\nsock 0\nshmem 0\npgfault 42\npgmajfault 0\n',
    'memory.current': '135168\n',
    'memory.max': '67108864\n',
    'memory.swap.current': '0\n',
    'memory.swap.max': 'max\n',
    'memory.events': 'low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n',
    'io.stat': '8:0 rbytes=4096 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.max': 'max\n',
    'hugetlb.2MB.rsvd.current': '0\n',
    'hugetlb.2MB.events': 'max 0\n',
  };
  const read = (_controller: string, file: string) => files[file];
  const list = () => Object.keys(files).filter((f) => f.startsWith('hugetlb.'));

  it('encodes as protoc does: "max" as 2^64-1, memory.stat and cpu.stat keys, io.stat, hugetlb, memory.events', () => {
    const want =
      '0a0d080310ffffffffffffffffff01120908b96010904e18a91222240880201080401880800190012a800280a0088802808080209802ffffffffffffffffff012a0032090a07080818802028013a1010ffffffffffffffffff011a03324d424206180220012801';
    expect(encode(MetricsV2, metricsV2(read, list)).toString('hex')).toBe(want);
  });

  it('leaves memory_events out when memory.events is missing, and reads missing files as 0', () => {
    const message = metricsV2((_c, file) => (file === 'pids.current' ? '1\n' : undefined), () => []);
    expect(message.memory_events).toBeUndefined();
    expect(message.pids).toEqual({ current: 1n, limit: 0n });
    expect(message.io).toEqual({ usage: [] });
  });
});
