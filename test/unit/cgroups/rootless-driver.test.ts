/**
 * The rootless cgroup driver on a fake hybrid tree (temp dir): where the user may write, the
 * cgroup is made as by cgroupfs; where not, a config without limits gets no cgroup, a limit is
 * refused naming its field (runc: "cannot set memory limit: container could not join or create
 * cgroup"), an explicit cgroupsPath is refused, and device rules are not written (runc ignores the
 * devices controller rootless). And the verbs on a container without a cgroup say why they cannot.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { containerCgroupOf } from '../../../src/cgroups/driver.js';
import type { CgroupLayout } from '../../../src/cgroups/layout.js';
import { RootlessCgroupfsDriver, parseProcCgroup } from '../../../src/cgroups/rootless-driver.js';
import { managedCgroupOf, selectCgroupDriver } from '../../../src/cgroups/select-driver.js';
import { ConfigError } from '../../../src/spec/problem.js';

let root: string;
let layout: CgroupLayout;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'keel-rootless-cg-'));
  for (const [dir, files] of [
    ['memory', ['memory.limit_in_bytes', 'cgroup.procs']],
    ['pids', ['cgroup.procs']],
    ['devices', ['devices.allow', 'devices.deny', 'cgroup.procs']],
    ['unified', ['cgroup.procs']],
  ] as const) {
    mkdirSync(join(root, dir));
    for (const f of files) writeFileSync(join(root, dir, f), '');
  }
  layout = { mode: 'hybrid', root, v1: [{ dir: 'memory', options: 'memory' }, { dir: 'pids', options: 'pids' }, { dir: 'devices', options: 'devices' }], unifiedDir: 'unified' };
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const nothingWritable = () => false;
const memoryWritable = (dir: string) => dir.startsWith(join(root, 'memory'));

describe('RootlessCgroupfsDriver', () => {
  it('is what the factory gives for --rootless', () => {
    expect(selectCgroupDriver({ rootless: true }, { layout: () => layout })).toBeInstanceOf(RootlessCgroupfsDriver);
    expect(selectCgroupDriver({ rootless: false }, { layout: () => layout })).not.toBeInstanceOf(RootlessCgroupfsDriver);
  });

  it('without delegation: no cgroup for a config without limits, and create makes nothing', async () => {
    const driver = new RootlessCgroupfsDriver(() => layout, nothingWritable, 1001);
    const cgroup = driver.place({ linux: { resources: { devices: [{ allow: false, access: 'rwm' }] } } }, 'c1');
    expect(cgroup.dirs).toEqual([]);
    expect(driver.unsupportedLimits({ devices: [{ allow: false, access: 'rwm' }] }, cgroup.path)).toEqual([]);
    expect(await cgroup.create(process.pid)).toEqual({ dirs: [], writes: [] });
    expect(() => mkdirSync(join(root, 'memory/keel'))).not.toThrow(); // nothing was made there
  });

  it('without delegation: the first limit is refused naming its field and why', () => {
    const driver = new RootlessCgroupfsDriver(() => layout, nothingWritable, 1001);
    const problems = driver.unsupportedLimits({ memory: { limit: 1 << 26 }, pids: { limit: 10 } }, '/keel/c1');
    expect(problems.map((p) => p.path)).toEqual(['/linux/resources/memory/limit', '/linux/resources/pids/limit']);
    expect(problems[0]!.message).toBe(
      `cannot set the memory limit: keel runs rootless, and uid 1001 cannot create the container's cgroup ${root}/memory/keel/c1 (cgroups are not delegated to it here): remove the field, or run keel as root`,
    );
  });

  it('device rules are not planned: the devices cgroup is root\'s', () => {
    const driver = new RootlessCgroupfsDriver(() => layout, nothingWritable, 1001);
    expect(driver.plannedWrites({ devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }] })).toEqual([]);
  });

  it('an explicit cgroupsPath the user cannot create is refused naming it', () => {
    const driver = new RootlessCgroupfsDriver(() => layout, memoryWritable, 1001);
    expect(() => driver.place({ linux: { cgroupsPath: '/mine' } }, 'c1')).toThrow(ConfigError);
    expect(() => driver.place({ linux: { cgroupsPath: '/mine' } }, 'c1')).toThrow(/\/linux\/cgroupsPath: keel runs rootless, and uid 1001 cannot create .*\/pids\/mine/);
  });

  it('with one delegated hierarchy: the cgroup is made there, its limits written, the others refused', async () => {
    const driver = new RootlessCgroupfsDriver(() => layout, memoryWritable, 1001);
    expect(driver.unsupportedLimits({ memory: { limit: 1 << 26 } }, '/keel/c1')).toEqual([]);
    expect(driver.unsupportedLimits({ pids: { limit: 10 } }, '/keel/c1').map((p) => p.path)).toEqual(['/linux/resources/pids/limit']);
    const cgroup = driver.place({ linux: { resources: { memory: { limit: 1 << 26 } } } }, 'c1');
    expect(cgroup.dirs).toEqual([join(root, 'memory/keel/c1')]);
  });
});

describe('where the init stays without a cgroup of its own', () => {
  const own = parseProcCgroup('4:memory:/user.slice\n3:pids:/user.slice/u1\n1:name=systemd:/user.slice/s1\n0::/user.slice/s1\n');

  it('each hierarchy the container gets none of binds keel\'s own cgroup there (as runc binds its init\'s), by /proc/self/cgroup', () => {
    const driver = new RootlessCgroupfsDriver(() => layout, memoryWritable, 1001, () => own);
    const cgroup = driver.place({}, 'c1');
    expect(cgroup.dirs).toEqual([join(root, 'memory/keel/c1')]);
    expect(cgroup.mountPaths).toEqual({ pids: '/user.slice/u1', unified: '/user.slice/s1' });
  });

  it('parseProcCgroup reads v1, named and v2 lines', () => {
    expect(own).toEqual([
      { v2: false, controllers: ['memory'], path: '/user.slice' },
      { v2: false, controllers: ['pids'], path: '/user.slice/u1' },
      { v2: false, controllers: ['name=systemd'], path: '/user.slice/s1' },
      { v2: true, controllers: [], path: '/user.slice/s1' },
    ]);
  });
});

describe('a rootless container without a cgroup', () => {
  const record = { id: 'c1', rootless: true as const, cgroupPaths: [], pid: process.pid, config: { linux: { namespaces: [{ type: 'mount' as const }] } } };

  it('cannot be paused, updated or read for stats: each says why', async () => {
    const why = /it runs rootless without a cgroup \(keel could not create one: cgroups are not delegated to this user on this host\)/;
    await expect(containerCgroupOf(record).setFrozen(true)).rejects.toThrow(new RegExp(`^cannot pause container "c1": ${why.source}`));
    await expect(managedCgroupOf(record, { layout: () => layout }).update({}, {})).rejects.toThrow(/^cannot update the limits of container "c1"/);
    expect(() => managedCgroupOf(record, { layout: () => layout }).statsSource()).toThrow(/^cannot read the stats of container "c1"/);
    expect(() => managedCgroupOf(record, { layout: () => layout }).execDirs(['sub'])).toThrow(/exec --cgroup/);
    expect(managedCgroupOf(record, { layout: () => layout }).execDirs([])).toEqual([]);
  });

  it('has the processes of its own PID namespace; sharing keel\'s, it cannot tell them', () => {
    expect(() => containerCgroupOf(record).pids()).toThrow(/^cannot find every process of container "c1": it runs rootless without a cgroup .*, and it shares keel's PID namespace/);
    const own = { ...record, config: { linux: { namespaces: [{ type: 'pid' as const }] } } };
    // keel's own PID namespace stands in: the init alone is what processesInPidNamespaceOf finds there.
    expect(containerCgroupOf(own).pids()).toEqual([process.pid]);
    // Its init gone (a recycled pid has another start time): nothing, never the pid's new owner.
    expect(containerCgroupOf({ ...own, pidStartTime: 1 }).pids()).toEqual([]);
  });

  it('a root container is not affected', async () => {
    await expect(containerCgroupOf({ id: 'c1', cgroupPaths: [] }).setFrozen(true)).rejects.toThrow(/no freezer cgroup/);
  });
});
