import { describe, expect, it } from 'vitest';

import { unsupportedLimits } from '../../../src/cgroups/host-support.js';
import { parseV1Layout, type CgroupLayout } from '../../../src/cgroups/layout.js';
import { planWrites } from '../../../src/cgroups/manager.js';
import type { LinuxResources } from '../../../src/spec/types.js';

// This project's hybrid hosts: no hugetlb, net_cls, net_prio or rdma hierarchy; blkio without CFQ or BFQ.
const HYBRID = parseV1Layout(
  '/sys/fs/cgroup',
  ['blkio', 'cpu,cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer']
    .map((c, i) => `${30 + i} 25 0:${30 + i} / /sys/fs/cgroup/${c.split(',')[0]} rw - cgroup cgroup rw,${c}`)
    .concat('40 25 0:40 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw')
    .join('\n'),
);

/** A host whose cgroup files are `files` (paths under /sys/fs/cgroup), and the block device 254:0. */
function check(resources: LinuxResources, files: string[], path = '/keel/c', layout: CgroupLayout = HYBRID) {
  const present = new Set(files.map((f) => `/sys/fs/cgroup/${f}`).concat('/sys/dev/block/254:0'));
  const exists = (p: string) => present.has(p) || files.some((f) => `/sys/fs/cgroup/${f}`.startsWith(p + '/'));
  return unsupportedLimits(layout, path, planWrites(layout, resources).filter((w) => w.controller !== 'devices'), exists, () => 'cpu memory pids io');
}

describe('unsupportedLimits', () => {
  it('names the field of a limit whose file the kernel lacks, looking in the nearest existing parent', () => {
    const files = ['blkio/keel/blkio.throttle.read_bps_device', 'memory/keel/memory.limit_in_bytes'];
    expect(check({ blockIO: { weight: 300 }, memory: { limit: 1 << 20, swap: 2 << 20 } }, files)).toEqual([
      { path: '/linux/resources/memory/swap', message: expect.stringContaining('no memory.memsw.limit_in_bytes in the memory cgroup (swap accounting is off') },
      { path: '/linux/resources/blockIO/weight', message: expect.stringContaining('no blkio.weight in the blkio cgroup (the CFQ and BFQ I/O schedulers provide it') },
    ]);
  });

  it("accepts BFQ's file for a weight, and a file the kernel leaves out of the hierarchy's root", () => {
    expect(check({ blockIO: { weight: 300 }, pids: { limit: 5 } }, ['blkio/blkio.bfq.weight', 'pids/cgroup.procs'], '/c')).toEqual([]);
    // Below the root the same absence counts.
    expect(check({ pids: { limit: 5 } }, ['pids/keel/cgroup.procs'])).toEqual([{ path: '/linux/resources/pids/limit', message: expect.stringContaining('no pids.max') }]);
  });

  it('names a controller the host does not mount, and a block device it does not have', () => {
    const r: LinuxResources = {
      hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }],
      network: { classID: 1, priorities: [{ name: 'lo', priority: 1 }] },
      rdma: { mlx5_0: { hcaHandles: 1 } },
      blockIO: { throttleReadBpsDevice: [{ major: 254, minor: 0, rate: 1 }], throttleWriteIOPSDevice: [{ major: 7, minor: 99, rate: 1 }] },
    };
    const problems = check(r, ['blkio/blkio.throttle.read_bps_device', 'blkio/blkio.throttle.write_iops_device']);
    expect(problems.map((p) => p.path)).toEqual([
      '/linux/resources/blockIO/throttleWriteIOPSDevice/0',
      '/linux/resources/hugepageLimits/0',
      '/linux/resources/network/classID',
      '/linux/resources/network/priorities/0',
      '/linux/resources/rdma/mlx5_0',
    ]);
    expect(problems[0]!.message).toMatch(/^this host has no block device 7:99/);
    expect(problems[1]!.message).toMatch(/^this host mounts no cgroup v1 hugetlb controller/);
  });

  it('on v2, names a controller the root does not offer', () => {
    const v2: CgroupLayout = { mode: 'v2', root: '/sys/fs/cgroup', v1: [] };
    expect(check({ pids: { limit: 3 }, hugepageLimits: [{ pageSize: '2MB', limit: 1 << 21 }] }, [], '/keel/c', v2)).toEqual([
      { path: '/linux/resources/hugepageLimits/0', message: expect.stringMatching(/^this host offers no hugetlb controller/) },
    ]);
  });
});
