/**
 * The cgroup files keel writes, compared with what runc writes for the same linux.resources on
 * this host (v1 controllers): both runtimes create a container from the same config, and each
 * file is read back from both cgroups.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import type { LinuxResources, Spec } from '../../src/spec/types.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';
import { removeCgroupParent } from '../helpers/cgroup-parent.js';
import { swapAccounting, v1ControllerHas } from '../helpers/host-features.js';

const CG = '/sys/fs/cgroup';
const bed = useTestbed();
const parent = `/keel-test-vs-runc-${process.pid}`;
const runc = new RuncRoot();

afterAll(() => {
  // Containers first (this hook runs before the testbed's own cleanup), then their parent cgroup.
  for (const id of bed.keel.containers()) bed.keel.run(['delete', '--force', id]);
  runc.cleanup();
  removeCgroupParent(parent);
});

/**
 * A block device of this host for the per-device blkio limits: a disk if there is one, else any
 * block device (a loop device takes throttles as well).
 */
function blockDevice(): { major: number; minor: number } | undefined {
  const names = readdirSync('/sys/block').sort((a, b) => Number(/^(loop|ram|zram)/.test(a)) - Number(/^(loop|ram|zram)/.test(b)));
  const [major, minor] = names.length ? readFileSync(`/sys/block/${names[0]}/dev`, 'utf8').trim().split(':').map(Number) : [];
  return major === undefined ? undefined : { major, minor: minor! };
}

/** A major:minor that no block device of this host has. */
function missingBlockDevice(): { major: number; minor: number } {
  for (let minor = 99; ; minor++) if (!existsSync(`/sys/dev/block/7:${minor}`)) return { major: 7, minor };
}

/**
 * Where this host cannot apply a limit, both runtimes refuse the config: keel before anything
 * exists, naming the field, exit 1; runc with the kernel's error; neither leaves a cgroup or a
 * container behind.
 */
function expectBothRefuse(name: string, resources: LinuxResources, field: string, runcSays: RegExp): void {
  const config = (who: string) => (s: Spec) => {
    s.process!.args = ['sleep', '1000'];
    s.linux!.cgroupsPath = `${parent}/${name}-${who}`;
    s.linux!.resources = resources;
  };
  const mine = bed.keel.run(['create', '--bundle', bed.bundle(config('keel')).dir, name]);
  expect(mine.code).toBe(1);
  expect(mine.stderr).toMatch(new RegExp(`^keel: config\\.json: ${field}: [^\n]+\n$`));
  expect(bed.keel.containers()).not.toContain(name);
  const runcId = `keel-vs-${name}-${process.pid}`;
  const theirs = runc.run(['create', '--bundle', bed.bundle(config('runc')).dir, runcId]);
  expect(theirs.code).toBe(1);
  expect(theirs.stderr).toMatch(runcSays);
  expect(runc.containers()).not.toContain(runcId);
  for (const hierarchy of readdirSync(CG)) for (const who of ['keel', 'runc']) expect(existsSync(`${CG}/${hierarchy}${parent}/${name}-${who}`)).toBe(false);
}

/** Creates a container with each runtime from the same config; returns each one's cgroup path. */
function createBoth(name: string, resources: LinuxResources, edit: (s: Spec) => void = () => {}): { keel: string; runc: string } {
  const config = (who: string) => (s: Spec) => {
    s.process!.args = ['sleep', '1000'];
    s.linux!.cgroupsPath = `${parent}/${name}-${who}`;
    s.linux!.resources = { ...s.linux!.resources, ...resources };
    edit(s);
  };
  const keelBundle = bed.bundle(config('keel'));
  bed.keel.ok(['create', '--bundle', keelBundle.dir, name]);
  const runcBundle = bed.bundle(config('runc'));
  const runcId = `keel-vs-${name}-${process.pid}`;
  expect(runc.run(['create', '--bundle', runcBundle.dir, runcId])).toMatchObject({ code: 0, stderr: '' });
  return { keel: `${parent}/${name}-keel`, runc: `${parent}/${name}-runc` };
}

/** Each file's content in both cgroups, side by side: { "memory/memory.limit_in_bytes": [keel, runc] }. */
function compare(paths: { keel: string; runc: string }, files: string[]): Record<string, [string, string]> {
  const read = (path: string, file: string) => readFileSync(`${CG}/${file.split('/')[0]}${path}/${file.split('/')[1]}`, 'utf8').trim();
  return Object.fromEntries(files.map((f) => [f, [read(paths.keel, f), read(paths.runc, f)]]));
}

function expectSame(table: Record<string, [string, string]>): void {
  const keelSide = Object.fromEntries(Object.entries(table).map(([f, [k]]) => [f, k]));
  const runcSide = Object.fromEntries(Object.entries(table).map(([f, [, r]]) => [f, r]));
  expect(keelSide).toEqual(runcSide);
}

// v1 file names (this host's controllers); a pure v2 host runs test/cgroup2 instead of this file.
const comparable = detectCgroupLayout().mode !== 'v2';

describe.runIf(comparable)('cgroup files: keel and runc, same config', () => {
  it('memory: limit, reservation, swappiness', () => {
    const paths = createBoth('memory', { memory: { limit: 96 << 20, reservation: 48 << 20, swappiness: 30 } });
    expectSame(compare(paths, ['memory/memory.limit_in_bytes', 'memory/memory.soft_limit_in_bytes', 'memory/memory.swappiness']));
  });

  it('cpu: shares, quota and period, cpuset', () => {
    const paths = createBoth('cpu', { cpu: { shares: 768, quota: 40000, period: 80000, cpus: '0', mems: '0' } });
    expectSame(compare(paths, ['cpu/cpu.shares', 'cpu/cpu.cfs_quota_us', 'cpu/cpu.cfs_period_us', 'cpuset/cpuset.cpus', 'cpuset/cpuset.mems']));
  });

  it('pids limit, and no limit', () => {
    expectSame(compare(createBoth('pids', { pids: { limit: 42 } }), ['pids/pids.max']));
    expectSame(compare(createBoth('nopids', { pids: { limit: -1 } }), ['pids/pids.max']));
  });

  // (A weight per device is left out: with BFQ it needs a disk scheduled by BFQ, which this host's is not.)
  // Kernels without CFQ and BFQ (this project's machines: mq-deadline) have no weight file at all.
  const weightFile = ['blkio.weight', 'blkio.bfq.weight'].find((f) => v1ControllerHas('blkio', f));
  it(`blkio weight: ${weightFile ? `written to ${weightFile}, as runc` : 'this kernel has no weight file (no CFQ or BFQ): both refuse it, keel naming the field'}`, () => {
    if (!weightFile) {
      expectBothRefuse('blkio-weight', { blockIO: { weight: 300 } }, '/linux/resources/blockIO/weight', /blkio\.(bfq\.)?weight: no such file or directory/);
      return;
    }
    const table = compare(createBoth('blkio-weight', { blockIO: { weight: 300 } }), [`blkio/${weightFile}`]);
    expectSame(table);
    expect(table[`blkio/${weightFile}`]![0]).toMatch(/300/);
  });

  const dev = blockDevice();
  it(`blkio read and write throttles ${dev ? 'on a block device of this host' : '(this host has no block device: both refuse one it lacks)'}`, () => {
    if (!dev) {
      expectBothRefuse('blkio-throttle', { blockIO: { throttleReadBpsDevice: [{ ...missingBlockDevice(), rate: 1048576 }] } }, '/linux/resources/blockIO/throttleReadBpsDevice/0', /no such device/);
      return;
    }
    const paths = createBoth('blkio-throttle', { blockIO: { throttleReadBpsDevice: [{ ...dev, rate: 1048576 }], throttleWriteIOPSDevice: [{ ...dev, rate: 100 }] } });
    const table = compare(paths, ['blkio/blkio.throttle.read_bps_device', 'blkio/blkio.throttle.write_iops_device']);
    expectSame(table);
    expect(table['blkio/blkio.throttle.read_bps_device']![0]).toBe(`${dev.major}:${dev.minor} 1048576`);
  });

  it('a blkio throttle on a block device this host does not have: both refuse it, keel naming the field', () => {
    const missing = missingBlockDevice();
    expectBothRefuse('blkio-nodev', { blockIO: { throttleWriteBpsDevice: [{ ...missing, rate: 1000 }] } }, '/linux/resources/blockIO/throttleWriteBpsDevice/0', /no such device/);
  });

  // Controllers a v1 or hybrid host may not mount (this project's machines mount none of these):
  // where mounted, the file is compared with runc's; where not, both refuse the config.
  const hugePageSize = existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB') ? '2MB' : undefined;
  const OPTIONAL: [string, LinuxResources, string, string][] = [
    ['hugetlb', { hugepageLimits: [{ pageSize: hugePageSize ?? '2MB', limit: 4 << 21 }] }, '/linux/resources/hugepageLimits/0', 'hugetlb.2MB.limit_in_bytes'],
    ['net_cls', { network: { classID: 0x100001 } }, '/linux/resources/network/classID', 'net_cls.classid'],
    ['net_prio', { network: { priorities: [{ name: 'lo', priority: 5 }] } }, '/linux/resources/network/priorities/0', 'net_prio.ifpriomap'],
  ];
  it.each(OPTIONAL)('%s: the file as runc writes it where the host mounts the controller, else both refuse, keel naming the field', (controller, resources, field, file) => {
    if (!v1ControllerHas(controller) || (controller === 'hugetlb' && !hugePageSize)) {
      expectBothRefuse(`opt-${controller}`, resources, field, new RegExp(`${controller}`));
      return;
    }
    expectSame(compare(createBoth(`opt-${controller.replace('_', '')}`, resources), [`${controller}/${file}`]));
  });

  it('rdma: without an RDMA device (or controller) on this host, both refuse a limit for one, keel naming the field', () => {
    // An RDMA limit needs a device the kernel knows (/sys/class/infiniband); this kind of host has none.
    expect(existsSync('/sys/class/infiniband') && readdirSync('/sys/class/infiniband').includes('keel_test0')).toBe(false);
    expectBothRefuse('rdma', { rdma: { keel_test0: { hcaHandles: 3 } } }, '/linux/resources/rdma/keel_test0', /rdma/);
  });

  const memsw = swapAccounting();
  it(`memory.swap ${memsw ? 'is written to memory.memsw.limit_in_bytes, as runc' : 'on a kernel without swap accounting: both refuse it, keel naming the field'}`, () => {
    if (!memsw) {
      expectBothRefuse('memsw', { memory: { limit: 96 << 20, swap: 128 << 20 } }, '/linux/resources/memory/swap', /memsw/);
      return;
    }
    expectSame(compare(createBoth('memsw', { memory: { limit: 96 << 20, swap: 128 << 20 } }), ['memory/memory.memsw.limit_in_bytes']));
  });

  it("devices: the same devices.list for the default spec's rules, but for /dev/net/tun, which runc 1.1 allows", () => {
    const table = compare(createBoth('devices', {}), ['devices/devices.list']);
    const [keel, runc] = table['devices/devices.list']!.map((text) => text.split('\n'));
    // runc 1.1 (this host's) allows /dev/net/tun to every container; runc 1.2 stopped, and keel never did.
    expect(runc!.filter((l) => !keel!.includes(l))).toEqual(['c 10:200 rwm']);
    expect(keel!.filter((l) => !runc!.includes(l))).toEqual([]);
    expect(keel).toContain('c 1:3 rwm');
  });
});
