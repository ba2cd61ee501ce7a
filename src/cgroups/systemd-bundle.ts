/**
 * Loads the systemd driver from dist/keel-systemd.cjs, beside the bundle that runs: the D-Bus client
 * and the driver are not in keel.cjs, keel-spawn.cjs or keel-full.cjs, so that the verbs of a
 * container cgroupfs manages load and compile none of it (the bundles run as CommonJS: see the
 * Makefile).
 */
import { join } from 'node:path';

import { CgroupfsCgroup } from './cgroupfs-cgroup.js';
import type { CgroupLayout } from './layout.js';
import type { SystemdDriver } from './systemd-driver.js';

export function loadSystemdDriver(layout?: () => CgroupLayout): SystemdDriver {
  // A bundle of its own beside this one, found at run time: an import would put it in this bundle.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundle = require(join(__dirname, 'keel-systemd.cjs')) as typeof import('./systemd-host.js');
  return bundle.hostSystemdDriver(layout);
}

/**
 * A systemd container's cgroup for the light verbs: the unit's cgroup files are read and written
 * as cgroupfs's (state, pause, kill --all), and only destroy, which stops the unit, loads the driver.
 */
export class SystemdContainerCgroup extends CgroupfsCgroup {
  override destroy(): Promise<void> {
    return loadSystemdDriver().open(this.dirs).destroy();
  }
}
