/**
 * The cgroup driver seam: which driver the factory picks (from the flags for a new container, from
 * state.json for an existing one), and the cgroupfs driver through the interface, against a fake
 * cgroup v2 tree in a temp dir (files in, files out).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { containerCgroupOf, recordedDriver } from '../../../src/cgroups/driver.js';
import type { CgroupLayout } from '../../../src/cgroups/layout.js';
import { cgroupDriverOf, managedCgroupOf, selectCgroupDriver } from '../../../src/cgroups/select-driver.js';

const hybrid: CgroupLayout = {
  mode: 'hybrid',
  root: '/sys/fs/cgroup',
  v1: [
    { dir: 'memory', options: 'memory' },
    { dir: 'cpu,cpuacct', options: 'cpu,cpuacct' },
  ],
  unifiedDir: 'unified',
};

describe('selectCgroupDriver (a new container: the global flags)', () => {
  it('gives the cgroupfs driver without --systemd-cgroup, and looks at the host only when asked', () => {
    let looked = 0;
    const driver = selectCgroupDriver({}, { layout: () => (looked++, hybrid) });
    expect(driver.name).toBe('cgroupfs');
    expect(looked).toBe(0);
    expect(driver.describe()).toBe('hybrid');
    expect(driver.layout).toBe(hybrid);
    expect(looked).toBe(1);
  });

  it('refuses --systemd-cgroup in one line where systemd is not running, without loading the systemd driver', () => {
    let loaded = 0;
    const systemd = () => (loaded++, selectCgroupDriver({}, { layout: () => hybrid }));
    expect(() => selectCgroupDriver({ systemdCgroup: true }, { systemdRunning: () => false, layout: () => hybrid, systemd })).toThrow(
      /^--systemd-cgroup: systemd is not running on this host \(no \/run\/systemd\/system\); run without --systemd-cgroup to manage cgroups directly$/,
    );
    expect(loaded).toBe(0);
    // The containerd shim's setting is named instead of the flag.
    expect(() => selectCgroupDriver({ systemdCgroup: true, systemdCgroupSetting: 'shim config /etc/keel/shim.json: systemdCgroup' }, { systemdRunning: () => false, layout: () => hybrid, systemd })).toThrow(
      /^shim config \/etc\/keel\/shim\.json: systemdCgroup: systemd is not running on this host \(no \/run\/systemd\/system\); set it to false to manage cgroups directly$/,
    );
  });

  it('gives the systemd driver for --systemd-cgroup where systemd runs', () => {
    const layout = () => hybrid;
    let given: unknown;
    const stand = selectCgroupDriver({}, { layout });
    const driver = selectCgroupDriver({ systemdCgroup: true }, { systemdRunning: () => true, layout, systemd: (l) => ((given = l), stand) });
    expect(driver).toBe(stand);
    expect(given).toBe(layout);
  });
});

describe('the driver of an existing container (state.json)', () => {
  it('is cgroupfs when recorded so, and when the record predates the field', () => {
    expect(recordedDriver({ id: 'old' })).toBe('cgroupfs');
    expect(recordedDriver({ id: 'new', cgroupDriver: 'cgroupfs' })).toBe('cgroupfs');
    expect(cgroupDriverOf({ id: 'old' }, { layout: () => hybrid }).name).toBe('cgroupfs');
  });

  it('is systemd when recorded so, whatever the flags of the later call', () => {
    expect(recordedDriver({ id: 'web', cgroupDriver: 'systemd' })).toBe('systemd');
    const stand = selectCgroupDriver({}, { layout: () => hybrid });
    expect(cgroupDriverOf({ id: 'web', cgroupDriver: 'systemd' }, { systemd: () => stand })).toBe(stand);
  });

  it('refuses a name it does not know, naming the container', () => {
    expect(() => managedCgroupOf({ id: 'web', cgroupDriver: 'lxcfs' })).toThrow(/^container "web": state.json: \/cgroupDriver: "lxcfs" is not a cgroup driver keel knows/);
  });

  it('gives the cgroup at the directories state.json records', () => {
    const dirs = ['/sys/fs/cgroup/memory/keel/c', '/sys/fs/cgroup/cpu,cpuacct/keel/c', '/sys/fs/cgroup/unified/keel/c'];
    expect(containerCgroupOf({ id: 'c', cgroupPaths: dirs }).dirs).toEqual(dirs);
    const managed = managedCgroupOf({ id: 'c', cgroupPaths: dirs }, { layout: () => hybrid });
    // exec --cgroup goes through the driver: memory:sub replaces only the memory hierarchy's directory.
    expect(managed.execDirs(['memory:sub'])).toEqual([`${dirs[0]}/sub`, dirs[1], dirs[2]]);
  });
});

describe('the cgroupfs driver: where a new container goes', () => {
  const driver = selectCgroupDriver({}, { layout: () => hybrid });

  it('puts an empty or relative cgroupsPath under /keel, in every hierarchy and the unified one', () => {
    const cgroup = driver.place({}, 'web');
    expect(cgroup.path).toBe('/keel/web');
    expect(cgroup.dirs).toEqual(['/sys/fs/cgroup/memory/keel/web', '/sys/fs/cgroup/cpu,cpuacct/keel/web', '/sys/fs/cgroup/unified/keel/web']);
    expect(driver.place({ linux: { cgroupsPath: 'pods/a' } }, 'web').path).toBe('/keel/pods/a');
    expect(driver.place({ linux: { cgroupsPath: '/machine/x' } }, 'web').path).toBe('/machine/x');
  });

  it('refuses a cgroupsPath that climbs out, naming the field', () => {
    expect(() => driver.place({ linux: { cgroupsPath: '/a/../../etc' } }, 'web')).toThrow(/\/linux\/cgroupsPath: "\/a\/..\/..\/etc" climbs with "\.\."/);
  });

  it('plans the v1 files on a hybrid host (explain and validate show these)', () => {
    expect(driver.plannedWrites({ memory: { limit: 1 << 20 } }).find((w) => w.controller === 'memory')).toMatchObject({ controller: 'memory', file: 'memory.limit_in_bytes', value: String(1 << 20) });
  });
});

describe('the cgroupfs driver on a fake cgroup v2 tree', () => {
  let root: string;
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  function cgroup(path: string, files: Record<string, string>): string {
    const dir = join(root, path);
    mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it('creates, places the pid, updates, reads stats and kills through the interface', async () => {
    root = mkdtempSync(join(tmpdir(), 'keel-driver-'));
    cgroup('', { 'cgroup.controllers': 'cpu memory pids\n', 'cgroup.subtree_control': '' });
    cgroup('keel', { 'cgroup.controllers': 'cpu memory pids\n', 'cgroup.subtree_control': '' });
    const driver = selectCgroupDriver({}, { layout: () => ({ mode: 'v2', root, v1: [] }) });
    const placed = driver.place({ linux: { cgroupsPath: '', resources: { pids: { limit: 10 }, cpu: { quota: 20000, period: 50000 } } } }, 'c1');
    expect(placed.dirs).toEqual([join(root, 'keel/c1')]);

    const attached: string[] = [];
    const setup = await placed.create(4321, (dir) => attached.push(dir));
    const dir = join(root, 'keel/c1');
    expect(setup.writes.map((w) => w.file)).toEqual(['cpu.max', 'pids.max']);
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('10');
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toBe('4321');
    expect(attached).toEqual([dir]); // the device program, on v2

    // Later verbs find it from the record; an update of the quota keeps the recorded period on v2.
    const found = managedCgroupOf({ id: 'c1', cgroupDriver: 'cgroupfs', cgroupPaths: [dir] }, { layout: () => ({ mode: 'v2', root, v1: [] }) });
    await found.update({ cpu: { quota: 30000 } }, { pids: { limit: 10 }, cpu: { quota: 30000, period: 50000 } });
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('30000 50000');

    writeFileSync(join(dir, 'pids.current'), '3\n');
    const stats = found.statsSource();
    expect(stats.v2).toBe(true);
    expect(stats.read('pids', 'pids.current')).toBe('3\n');

    writeFileSync(join(dir, 'cgroup.procs'), '4321\n4400\n');
    writeFileSync(join(dir, 'cgroup.kill'), '');
    expect(found.pids().sort()).toEqual([4321, 4400]);
    expect(found.killAll()).toBe(true);
    expect(readFileSync(join(dir, 'cgroup.kill'), 'utf8')).toBe('1');
  });
});
