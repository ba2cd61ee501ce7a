/**
 * The container's root file system as containerd hands it to the shim: mounts (a snapshotter's
 * overlay or bind) to make on <bundle>/rootfs before create, and to take off at delete, as the
 * shim contract requires. mount(8) and umount(8) do the work: they know every type and option
 * containerd's snapshotters produce.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { KeelError } from '../util/errors.js';

export interface RootMount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** mount(8)'s arguments for one of containerd's mounts on `target`. Pure. */
export function mountArgs(m: RootMount, target: string): string[] {
  const args: string[] = [];
  // A bind is an option to mount(8), not a file system type.
  if (m.type && m.type !== 'bind' && m.type !== 'rbind') args.push('-t', m.type);
  const options = m.type === 'rbind' && !m.options.includes('rbind') ? ['rbind', ...m.options] : m.options;
  if (options.length) args.push('-o', options.join(','));
  args.push(m.source, target);
  return args;
}

export function mountRootfs(bundle: string, mounts: readonly RootMount[]): void {
  const target = join(bundle, 'rootfs');
  for (const m of mounts) {
    const result = spawnSync('mount', mountArgs(m, target), { encoding: 'utf8' });
    if (result.status !== 0) {
      unmountRootfs(bundle);
      throw new KeelError(`cannot mount the container's root file system (${m.type} from ${m.source}) on ${target}: ${(result.stderr || String(result.error ?? '')).trim()}`);
    }
  }
}

/** Takes every mount off <bundle>/rootfs (stacked ones too); nothing mounted is not an error. */
export function unmountRootfs(bundle: string): void {
  const target = join(bundle, 'rootfs');
  if (!existsSync(target)) return;
  // At most as many as are stacked there; each umount takes the top one.
  for (let i = 0; i < 16 && isMountPoint(target); i++) {
    const result = spawnSync('umount', [target], { encoding: 'utf8' });
    if (result.status !== 0) {
      const lazy = spawnSync('umount', ['-l', target], { encoding: 'utf8' });
      if (lazy.status !== 0) throw new KeelError(`cannot unmount ${target}: ${(lazy.stderr || result.stderr).trim()}`);
    }
  }
}

function isMountPoint(path: string): boolean {
  const info = readFileSync('/proc/self/mountinfo', 'utf8');
  return info.split('\n').some((line) => line.split(' ')[4] === path.replace(/ /g, '\\040'));
}
