/**
 * The container's root file system as containerd hands it to the shim: mounts (a snapshotter's
 * overlay or bind) to make on <bundle>/rootfs before create, and to take off at delete, as the
 * shim contract requires. mount(2) and umount2(2) are called through libkeel: starting mount(8)
 * and umount(8) cost a process start each per container.
 */
import { join } from 'node:path';

import { MNT_DETACH, mount, NativeError, umount2 } from '../native/libkeel.js';
import { KeelError } from '../util/errors.js';

import { mountCalls, type RootMount } from './rootfs-mounts.js';

export type { RootMount };

export function mountRootfs(bundle: string, mounts: readonly RootMount[]): void {
  const target = join(bundle, 'rootfs');
  for (const m of mounts) {
    try {
      for (const c of mountCalls(m, target)) mount(`${m.type || 'mount'} from ${m.source}`, c.source, target, c.fstype, c.flags, c.data, c.dir);
    } catch (err) {
      unmountRootfs(bundle);
      if (err instanceof NativeError) throw new KeelError(`cannot mount the container's root file system: ${err.message}`);
      throw err;
    }
  }
}

/** Takes every mount off <bundle>/rootfs (stacked ones too); nothing mounted is not an error. */
export function unmountRootfs(bundle: string): void {
  const target = join(bundle, 'rootfs');
  // At most as many as are stacked there; each umount2 takes the top one, and EINVAL says none is left.
  for (let i = 0; i < 16; i++) {
    try {
      umount2(target, 0);
    } catch (err) {
      const code = err instanceof NativeError ? err.code : '';
      if (code === 'EINVAL' || code === 'ENOENT') return;
      try {
        // Busy (a process of the container still has it open): detached now, gone when it lets go.
        umount2(target, MNT_DETACH);
      } catch (lazy) {
        throw new KeelError(`cannot unmount the container's root file system: ${(lazy as Error).message}`);
      }
    }
  }
}
