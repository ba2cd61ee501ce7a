/**
 * The systemd driver's sequence (runc's: start the unit, set its properties, write the files; stop
 * the unit at delete), with a stand-in for systemd's D-Bus API and a fake cgroup v2 tree. No real
 * systemd is involved here: test/systemd runs the driver against a real one (make test-systemd).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { CgroupLayout } from '../../../src/cgroups/layout.js';
import { SystemdDriver, type JobResult, type SystemdManager } from '../../../src/cgroups/systemd-driver.js';
import type { SystemdProperty } from '../../../src/cgroups/systemd-properties.js';

let root: string;
let layout: CgroupLayout;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'keel-sd-'));
  layout = { mode: 'v2', root, v1: [] };
  for (const dir of ['', 'system.slice']) {
    mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, dir, 'cgroup.controllers'), 'cpu memory pids\n');
    writeFileSync(join(root, dir, 'cgroup.subtree_control'), 'cpu memory pids\n');
  }
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** systemd as the driver sees it: each call recorded; a started scope gets its directory, as systemd makes it. */
class FakeSystemd implements SystemdManager {
  calls: string[] = [];
  started: Record<string, SystemdProperty[]> = {};
  set: Record<string, SystemdProperty[]> = {};
  constructor(
    private readonly start: JobResult | 'exists' = 'done',
    private readonly ver = 252,
  ) {}
  async version() {
    return this.ver;
  }
  async startTransientUnit(unit: string, properties: SystemdProperty[]) {
    this.calls.push(`start ${unit}`);
    this.started[unit] = properties;
    if (this.start === 'done') mkdirSync(join(root, 'system.slice', unit));
    return this.start;
  }
  async setUnitProperties(unit: string, properties: SystemdProperty[]) {
    this.calls.push(`set ${unit}`);
    this.set[unit] = properties;
  }
  async stopUnit(unit: string) {
    this.calls.push(`stop ${unit}`);
    return 'done' as const;
  }
  async resetFailedUnit(unit: string) {
    this.calls.push(`reset-failed ${unit}`);
  }
}

function driverWith(systemd: FakeSystemd) {
  let connects = 0;
  const driver = new SystemdDriver({
    layout: () => layout,
    connect: async () => (connects++, systemd),
    devices: { deviceGroup: (type, major) => (type === 'c' && major === 136 ? 'pts' : undefined), deviceExists: () => true },
  });
  return { driver, connects: () => connects };
}

const config = {
  linux: { cgroupsPath: 'system.slice:keel:c1', resources: { memory: { limit: 64 << 20 }, pids: { limit: 20 } } },
  annotations: { 'org.systemd.property.CollectMode': "'inactive-or-failed'" },
};
const props = (list: SystemdProperty[] | undefined) => Object.fromEntries((list ?? []).map((p) => [p.name, p.value]));

describe('the systemd driver (stand-in systemd)', () => {
  it('starts the scope with the init in it, sets the limits on the unit, then writes the files into its cgroup', async () => {
    const systemd = new FakeSystemd();
    const { driver } = driverWith(systemd);
    const cgroup = driver.place(config, 'c1');
    expect(cgroup.path).toBe('/system.slice/keel-c1.scope');
    expect(cgroup.dirs).toEqual([join(root, 'system.slice/keel-c1.scope')]);
    expect(driver.describe()).toBe('systemd, v2');

    await cgroup.create(4321, () => {});
    expect(systemd.calls).toEqual(['start keel-c1.scope', 'set keel-c1.scope']);
    expect(props(systemd.started['keel-c1.scope'])).toMatchObject({ Slice: 'system.slice', Delegate: true, PIDs: [4321], DefaultDependencies: false, CollectMode: 'inactive-or-failed' });
    expect(props(systemd.set['keel-c1.scope'])).toMatchObject({ MemoryMax: BigInt(64 << 20), TasksMax: 20n, DevicePolicy: 'strict' });
    const dir = join(root, 'system.slice/keel-c1.scope');
    expect(readFileSync(join(dir, 'memory.max'), 'utf8')).toBe(String(64 << 20));
    expect(readFileSync(join(dir, 'pids.max'), 'utf8')).toBe('20');
    expect(readFileSync(join(dir, 'cgroup.procs'), 'utf8')).toBe('4321');
  });

  it('refuses a config systemd cannot take before connecting to it', () => {
    const { driver, connects } = driverWith(new FakeSystemd());
    expect(() => driver.place({ linux: { cgroupsPath: 'a:b' } }, 'c1')).toThrow(/\/linux\/cgroupsPath: "a:b"/);
    expect(() => driver.place({ annotations: { 'org.systemd.property.X1': '1' } }, 'c1')).toThrow(/\/annotations\/org\.systemd\.property\.X1/);
    expect(() => driver.place({ linux: { resources: { memory: { swap: 1 << 20 } } } }, 'c1')).toThrow(/\/linux\/resources\/memory\/swap/);
    expect(connects()).toBe(0);
  });

  it('a unit that exists already fails create and is left alone (no stop, no file written)', async () => {
    const systemd = new FakeSystemd('exists');
    mkdirSync(join(root, 'system.slice/keel-c1.scope'));
    writeFileSync(join(root, 'system.slice/keel-c1.scope/pids.max'), 'max');
    const { driver } = driverWith(systemd);
    await expect(driver.place(config, 'c1').create(1, () => {})).rejects.toThrow(/^cgroup: systemd unit keel-c1\.scope exists already: give this container a linux\.cgroupsPath of its own/);
    expect(systemd.calls).toEqual(['start keel-c1.scope']);
    expect(readFileSync(join(root, 'system.slice/keel-c1.scope/pids.max'), 'utf8')).toBe('max');
  });

  it('a job that fails is reset and reported; a failure after the start stops the unit', async () => {
    const failed = new FakeSystemd('failed');
    await expect(driverWith(failed).driver.place(config, 'c1').create(1)).rejects.toThrow(/systemd did not start keel-c1\.scope: its job ended "failed"/);
    expect(failed.calls).toEqual(['start keel-c1.scope', 'reset-failed keel-c1.scope']);
    // systemd refuses a property after it made the scope: the scope goes again.
    const started = new (class extends FakeSystemd {
      override async setUnitProperties(unit: string) {
        this.calls.push(`set ${unit}`);
        throw new Error('org.freedesktop.DBus.Error.InvalidArgs');
      }
    })();
    await expect(driverWith(started).driver.place(config, 'c1').create(1)).rejects.toThrow(/InvalidArgs/);
    expect(started.calls).toEqual(['start keel-c1.scope', 'set keel-c1.scope', 'stop keel-c1.scope']);
  });

  it('update sets the unit\'s properties (not its device rules), then the files; delete stops the unit', async () => {
    const systemd = new FakeSystemd('done', 241);
    const { driver } = driverWith(systemd);
    const dir = join(root, 'system.slice/keel-c1.scope');
    mkdirSync(dir);
    const cgroup = driver.open([dir]);
    await cgroup.update({ cpu: { quota: 20000 } }, { cpu: { quota: 20000, period: 50000 }, pids: { limit: 20 } });
    // systemd 241 has no CPUQuotaPeriodUSec: the period reaches only the file.
    expect(props(systemd.set['keel-c1.scope'])).toEqual({ CPUQuotaPerSecUSec: 400000n, TasksMax: 20n });
    expect(readFileSync(join(dir, 'cpu.max'), 'utf8')).toBe('20000 50000');
    rmSync(join(dir, 'cpu.max'));
    await cgroup.destroy();
    expect(systemd.calls).toEqual(['set keel-c1.scope', 'stop keel-c1.scope']);
    expect(existsSync(dir)).toBe(false);
  });
});
