/**
 * The systemd driver on this host: D-Bus to systemd on the system bus, and the host's devices for
 * the device rules. This file is the entry of dist/keel-systemd.cjs, a bundle of its own (with
 * the D-Bus client) that keel loads only for a container systemd manages (systemd-bundle.ts).
 */
import { existsSync, readFileSync } from 'node:fs';

import type { CgroupLayout } from './layout.js';
import { SystemdDriver } from './systemd-driver.js';
import { DbusSystemdManager } from './systemd-dbus.js';
import { parseProcDevices } from './systemd-properties.js';

export function hostSystemdDriver(layout?: () => CgroupLayout): SystemdDriver {
  let groups: Map<string, string> | undefined;
  return new SystemdDriver({
    layout,
    connect: () => DbusSystemdManager.connect(),
    devices: {
      deviceGroup: (type, major) => (groups ??= parseProcDevices(readFileSync('/proc/devices', 'utf8'))).get(`${type} ${major}`),
      deviceExists: (path) => existsSync(path),
    },
  });
}
