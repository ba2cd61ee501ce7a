/**
 * Stats as containerd's io.containerd.cgroups.v1.Metrics: bytes compared with protoc 3.21's
 * encoding of the same figures under containerd/cgroups' stats/v1/metrics.proto field numbers
 * (`ctr task metrics` decodes this message; the engine lane's metrics scenario reads its table).
 */
import { describe, expect, it } from 'vitest';

import type { Stats } from '../../../src/cgroups/stats.js';
import { metricsV1, MetricsV1 } from '../../../src/shim/metrics.js';
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
