import { posix } from 'node:path';

import type { LinuxDevice } from '../spec/types.js';
import { CreateAs, ops, type PlanOp } from './ops.js';
import { MS } from './mount-options.js';

const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

/** The devices every container gets, as runc creates them. */
export const DEFAULT_DEVICES: LinuxDevice[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0 },
];

const DEV_SYMLINKS: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
];

function typeBits(type: LinuxDevice['type']): number {
  return type === 'b' ? S_IFBLK : type === 'p' ? S_IFIFO : S_IFCHR;
}

/**
 * A device path as runc uses it (its SecureJoin cleans the path): "/dev/foo/" and "/dev//foo" are
 * "/dev/foo", a node, not a directory.
 */
export function cleanDevicePath(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

/**
 * /dev for the container: the default devices, then linux.devices (a config entry replaces a
 * default one of the same path), /dev/ptmx and the fd symlinks. Inside a user namespace mknod is
 * not allowed, so devices are bind-mounted from the host instead.
 */
export function planDevices(configDevices: readonly LinuxDevice[], opts: { setupDev: boolean; inUserNamespace: boolean }): PlanOp[] {
  const devices = configDevices.map((d) => ({ ...d, path: cleanDevicePath(d.path) }));
  const configured = new Set(devices.map((d) => d.path));
  const all = opts.setupDev ? [...DEFAULT_DEVICES.filter((d) => !configured.has(d.path)), ...devices] : [...devices];
  const plan: PlanOp[] = [];
  for (const dev of all) {
    const major = dev.major ?? 0;
    const minor = dev.minor ?? 0;
    if (opts.inUserNamespace) {
      plan.push(
        ops.mount({ source: dev.path, destination: dev.path, type: '', data: '', flags: MS.BIND, propagation: 0, remountFlags: 0, createAs: CreateAs.FILE, options: ['bind'] }),
      );
      continue;
    }
    const mode = typeBits(dev.type) | ((dev.fileMode ?? 0o666) & 0o7777);
    plan.push(ops.mknod(dev.path, dev.type, mode, major, minor, dev.uid ?? 0, dev.gid ?? 0));
  }
  if (opts.setupDev) {
    plan.push(ops.symlink('pts/ptmx', '/dev/ptmx'));
    for (const [target, link] of DEV_SYMLINKS) plan.push(ops.symlink(target, link));
  }
  return plan;
}
