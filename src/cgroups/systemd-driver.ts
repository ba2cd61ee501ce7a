/**
 * The systemd cgroup driver (`--systemd-cgroup`), over an interface to systemd's D-Bus API
 * (SystemdManager; systemd-dbus.ts speaks it on the system bus). It is loaded from its own bundle
 * (systemd-bundle.ts) for a new container with --systemd-cgroup, or one whose state.json says
 * systemd. What it does is runc's way: systemd makes a transient
 * scope (or slice) for the container, the limits systemd has properties for are set on the unit,
 * and then every file is written into the unit's cgroup as the cgroupfs driver writes it, which
 * covers the rest and moves the process into the v1 hierarchies systemd left alone. Freezing,
 * stats, PIDs and kill all read and write the unit's cgroup files, as runc does.
 */
import { basename } from 'node:path';

import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { CgroupfsDriver } from './cgroupfs-driver.js';
import type { SpecProblem } from '../spec/problem.js';
import type { CgroupConfig, CgroupDriver, ManagedCgroup, NewContainerCgroup } from './driver.js';
import { detectCgroupLayout, type CgroupLayout } from './layout.js';
import { cgroupDirs, planWrites, setupCgroups, type AttachDeviceProgram, type CgroupSetup } from './manager.js';
import type { CgroupWrite } from './resources.js';
import { systemdResourceProperties, type SystemdHost, type SystemdProperty } from './systemd-properties.js';
import { annotationProperties, parseSystemdCgroupsPath, unitProperties, type SystemdUnit } from './systemd-unit.js';
import type { LinuxResources } from '../spec/types.js';
import type { StatsSource } from './stats.js';

/** How a job ended (JobRemoved's result), or what stood in the way of one. */
export type JobResult = 'done' | 'canceled' | 'timeout' | 'failed' | 'dependency' | 'skipped';

/** What the driver needs of org.freedesktop.systemd1.Manager on the system bus. */
export interface SystemdManager {
  /** Manager.Version as a number (e.g. 252 for "252.30-1~deb12u2"). */
  version(): Promise<number>;
  /** StartTransientUnit(unit, "replace", properties, []) and the wait for its job: "exists" when the unit is there already (UnitExists). */
  startTransientUnit(unit: string, properties: SystemdProperty[]): Promise<JobResult | 'exists'>;
  /** SetUnitProperties(unit, runtime = true, properties). */
  setUnitProperties(unit: string, properties: SystemdProperty[]): Promise<void>;
  /** StopUnit(unit, "replace") and the wait for its job: "gone" when there is no such unit (NoSuchUnit). */
  stopUnit(unit: string): Promise<JobResult | 'gone'>;
  /** ResetFailedUnit(unit): a unit that failed leaves no record behind. */
  resetFailedUnit(unit: string): Promise<void>;
}

export interface SystemdDriverHost {
  layout?: () => CgroupLayout;
  /** Connects to systemd (loading the D-Bus client then, not before). */
  connect: () => Promise<SystemdManager>;
  devices: Pick<SystemdHost, 'deviceGroup' | 'deviceExists'>;
}

/** Properties for systemd as new as any: what place() checks a config against, before the version is known. */
const ANY_VERSION = Number.MAX_SAFE_INTEGER;

export class SystemdDriver implements CgroupDriver {
  readonly name = 'systemd';
  /** The unit's cgroup files, written and read as cgroupfs does. */
  readonly files: CgroupfsDriver;
  #manager: Promise<SystemdManager> | undefined;

  constructor(readonly host: SystemdDriverHost) {
    this.files = new CgroupfsDriver(host.layout ?? detectCgroupLayout);
  }

  get layout(): CgroupLayout {
    return this.files.layout;
  }

  /** runc's legacy manager on v1 and hybrid hosts (v1 property names), its unified one on v2. */
  get mode(): 'v1' | 'v2' {
    return this.layout.mode === 'v2' ? 'v2' : 'v1';
  }

  manager(): Promise<SystemdManager> {
    return (this.#manager ??= this.host.connect());
  }

  describe(): string {
    return `systemd, ${this.layout.mode}`;
  }

  place(config: CgroupConfig, id: string): NewContainerCgroup {
    const unit = parseSystemdCgroupsPath(config.linux?.cgroupsPath, id);
    const annotations = annotationProperties(config.annotations);
    const resources = config.linux?.resources ?? {};
    // Checked now, so that a config systemd would refuse leaves nothing behind.
    systemdResourceProperties(resources, this.mode, { version: ANY_VERSION, ...this.host.devices });
    return new NewSystemdCgroup(this, unit, id, resources, annotations);
  }

  open(dirs: readonly string[]): ManagedCgroup {
    return new SystemdCgroup(this, dirs);
  }

  plannedWrites(resources: LinuxResources): CgroupWrite[] {
    return planWrites(this.layout, resources);
  }

  /** The files written after the unit's properties are cgroupfs's: so are the checks. */
  unsupportedLimits(resources: LinuxResources, path: string): SpecProblem[] {
    return this.files.unsupportedLimits(resources, path);
  }
}

/** The unit's name is its cgroup's: the last part of each directory. */
class SystemdCgroup implements ManagedCgroup {
  protected readonly files: ManagedCgroup;

  constructor(
    protected readonly driver: SystemdDriver,
    readonly dirs: readonly string[],
  ) {
    this.files = driver.files.open(dirs);
  }

  get unit(): string {
    return basename(this.dirs[0] ?? '');
  }

  execDirs(values: readonly string[]): string[] {
    return this.files.execDirs(values);
  }

  join(pid: number, dirs?: readonly string[]): void {
    this.files.join(pid, dirs);
  }

  /** The unit's properties first (what systemd would write back when it reloads), then the files. Device rules stay as they are, as with cgroupfs. */
  async update(changed: LinuxResources, merged: LinuxResources): Promise<void> {
    const manager = await this.driver.manager();
    const { properties } = systemdResourceProperties(merged, this.driver.mode, { version: await manager.version(), ...this.driver.host.devices });
    await manager.setUnitProperties(this.unit, properties.filter((p) => !p.name.startsWith('Device')));
    await this.files.update(changed, merged);
  }

  statsSource(): StatsSource {
    return this.files.statsSource();
  }

  isFrozen(): boolean {
    return this.files.isFrozen();
  }

  setFrozen(frozen: boolean): Promise<void> {
    return this.files.setFrozen(frozen);
  }

  killAll(): boolean {
    return this.files.killAll();
  }

  pids(): number[] {
    return this.files.pids();
  }

  /** Stops the unit (systemd kills what is left and removes its cgroup), then removes what systemd did not make. */
  async destroy(): Promise<void> {
    if (!this.dirs.length) return;
    const manager = await this.driver.manager();
    const result = await manager.stopUnit(this.unit);
    if (result !== 'done' && result !== 'gone') log().warn(`systemd: stopping ${this.unit} ended "${result}"; removing its cgroup directly`);
    await this.files.destroy();
  }
}

class NewSystemdCgroup extends SystemdCgroup implements NewContainerCgroup {
  readonly path: string;

  constructor(
    driver: SystemdDriver,
    private readonly systemdUnit: SystemdUnit,
    private readonly id: string,
    private readonly resources: LinuxResources,
    private readonly annotations: SystemdProperty[],
  ) {
    super(driver, cgroupDirs(driver.layout, systemdUnit.path).map((d) => d.dir));
    this.path = systemdUnit.path;
  }

  async create(pid: number, attachDeviceProgram?: AttachDeviceProgram): Promise<CgroupSetup> {
    const manager = await this.driver.manager();
    const unit = this.systemdUnit.unit;
    const started = await manager.startTransientUnit(unit, [...unitProperties(this.systemdUnit, this.id, pid, this.driver.mode), ...this.annotations]);
    if (started === 'exists') {
      // Another container's, most likely: it is left as it is.
      throw new KeelError(`cgroup: systemd unit ${unit} exists already: give this container a linux.cgroupsPath of its own, or delete the container that has it`);
    }
    if (started !== 'done') {
      await manager.resetFailedUnit(unit);
      throw new KeelError(`cgroup: systemd did not start ${unit}: its job ended "${started}" (journalctl -u ${unit} may say why)`);
    }
    try {
      const { properties, warnings } = systemdResourceProperties(this.resources, this.driver.mode, { version: await manager.version(), ...this.driver.host.devices });
      for (const warning of warnings) log().warn(`systemd: ${warning}`);
      await manager.setUnitProperties(unit, properties);
      return setupCgroups(this.driver.layout, this.path, this.resources, pid, attachDeviceProgram);
    } catch (err) {
      await manager.stopUnit(unit);
      throw err;
    }
  }
}
