/**
 * The cgroup driver factory: which driver manages a new container (from the global flags) or an
 * existing one (from its state.json). It loads the whole driver, the code that makes cgroups and
 * writes limits included; the light verbs use driver.ts's containerCgroupOf instead.
 */
import { existsSync } from 'node:fs';

import { KeelError } from '../util/errors.js';
import { CgroupfsDriver } from './cgroupfs-driver.js';
import { recordedDriver, type CgroupDriver, type CgroupRecord, type ManagedCgroup } from './driver.js';
import { RootlessManagedCgroup } from './rootless-cgroup.js';
import { RootlessCgroupfsDriver } from './rootless-driver.js';
import type { CgroupLayout } from './layout.js';
import { loadSystemdDriver } from './systemd-bundle.js';

/** What the factory may look at on the host (tests give their own). */
export interface DriverHost {
  /** Finds the host's cgroup layout (detectCgroupLayout by default). */
  layout?: () => CgroupLayout;
  /** systemd's own test that it is PID 1 (sd_booted): /run/systemd/system exists. */
  systemdRunning?: () => boolean;
  /** The systemd driver (loadSystemdDriver by default: the D-Bus client's bundle). */
  systemd?: (layout?: () => CgroupLayout) => CgroupDriver;
}

/**
 * The driver for a new container, from the global flags (create, run, explain, validate).
 * `--systemd-cgroup` where systemd is not running is refused here, before anything is made, in
 * one line saying why; systemdCgroupSetting names the setting that asked for it when that is not
 * the flag (the containerd shim's options or config).
 */
export function selectCgroupDriver(flags: { systemdCgroup?: boolean; systemdCgroupSetting?: string; rootless?: boolean }, host: DriverHost = {}): CgroupDriver {
  if (flags.systemdCgroup) {
    const running = (host.systemdRunning ?? (() => existsSync('/run/systemd/system')))();
    if (!running) {
      const setting = flags.systemdCgroupSetting;
      throw new KeelError(
        `${setting ?? '--systemd-cgroup'}: systemd is not running on this host (no /run/systemd/system); ${setting ? 'set it to false' : 'run without --systemd-cgroup'} to manage cgroups directly`,
      );
    }
    return (host.systemd ?? loadSystemdDriver)(host.layout);
  }
  return flags.rootless ? new RootlessCgroupfsDriver(host.layout) : new CgroupfsDriver(host.layout);
}

/** The driver that created a container, whatever flags this keel was given (as runc). */
export function cgroupDriverOf(record: { id: string; cgroupDriver?: string }, host: DriverHost = {}): CgroupDriver {
  if (recordedDriver(record) === 'systemd') return (host.systemd ?? loadSystemdDriver)(host.layout);
  return new CgroupfsDriver(host.layout);
}

/** An existing container's cgroup with everything its driver can do with it (exec, update, events). */
export function managedCgroupOf(record: CgroupRecord, host: DriverHost = {}): ManagedCgroup {
  const cgroup = cgroupDriverOf(record, host).open(record.cgroupPaths ?? []);
  return record.rootless ? new RootlessManagedCgroup(cgroup, record) : cgroup;
}
