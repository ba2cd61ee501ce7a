/**
 * The cgroup files keel writes, compared with what runc writes for the same linux.resources on
 * this host (v1 controllers): both runtimes create a container from the same config, and each
 * file is read back from both cgroups.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import type { LinuxResources, Spec } from '../../src/spec/types.js';
import { RUNC, RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';
import { removeCgroupParent } from '../helpers/cgroup-parent.js';

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

/** The block device behind the test's temp dir, for the per-device blkio settings. */
function blockDevice(): { major: number; minor: number } {
  for (const name of readdirSync('/sys/block')) {
    if (name.startsWith('loop') || name.startsWith('ram')) continue;
    const [major, minor] = readFileSync(`/sys/block/${name}/dev`, 'utf8').trim().split(':').map(Number);
    return { major: major!, minor: minor! };
  }
  throw new Error('this host has no block device to set blkio limits on');
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

// v1 file names (this host's controllers); on a pure v2 host, or one without runc, this is not run.
const comparable = detectCgroupLayout().mode !== 'v2' && existsSync(RUNC);

describe.runIf(comparable)('cgroup files: keel and runc, same config', () => {
  it('memory: limit, reservation, memory+swap, swappiness', () => {
    const paths = createBoth('memory', { memory: { limit: 96 << 20, reservation: 48 << 20, swap: 128 << 20, swappiness: 30 } });
    expectSame(compare(paths, ['memory/memory.limit_in_bytes', 'memory/memory.soft_limit_in_bytes', 'memory/memory.memsw.limit_in_bytes', 'memory/memory.swappiness']));
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
  it('blkio: weight (blkio.weight, or BFQ\'s where the kernel has only that), read and write throttles', () => {
    const dev = blockDevice();
    const paths = createBoth('blkio', { blockIO: { weight: 300, throttleReadBpsDevice: [{ ...dev, rate: 1048576 }], throttleWriteIOPSDevice: [{ ...dev, rate: 100 }] } });
    const weightFile = existsSync(`${CG}/blkio${paths.runc}/blkio.weight`) ? 'blkio.weight' : 'blkio.bfq.weight';
    const table = compare(paths, [`blkio/${weightFile}`, 'blkio/blkio.throttle.read_bps_device', 'blkio/blkio.throttle.write_iops_device']);
    expectSame(table);
    expect(table[`blkio/${weightFile}`]![0]).toMatch(/300/);
    expect(table['blkio/blkio.throttle.read_bps_device']![0]).toBe(`${dev.major}:${dev.minor} 1048576`);
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
