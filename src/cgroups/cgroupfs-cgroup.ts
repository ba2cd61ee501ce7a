/**
 * A cgroupfs container's cgroup, the part every verb needs (driver.ts's ContainerCgroup): none of
 * it needs the host's layout or the code that makes cgroups, so `state`, `list`, `kill` and
 * `delete` (dist/keel.cjs) load only this. The rest is in cgroupfs-driver.ts.
 */
import type { ContainerCgroup } from './driver.js';
import { cgroupKill, cgroupPids, destroyCgroups, isFrozen, moveIntoCgroups, setFrozen } from './manager.js';

export class CgroupfsCgroup implements ContainerCgroup {
  constructor(readonly dirs: readonly string[]) {}

  join(pid: number, dirs: readonly string[] = this.dirs): void {
    moveIntoCgroups(dirs, pid);
  }

  isFrozen(): boolean {
    return isFrozen(this.dirs);
  }

  setFrozen(frozen: boolean): Promise<void> {
    return setFrozen(this.dirs, frozen);
  }

  killAll(): boolean {
    return cgroupKill(this.dirs);
  }

  pids(): number[] {
    return cgroupPids(this.dirs);
  }

  async destroy(): Promise<void> {
    destroyCgroups(this.dirs);
  }
}
