/**
 * A rootless container's cgroup as the verbs see it (state.json says `rootless`): where keel could
 * make no cgroup for it (cgroups not delegated to the user), each verb that needs one says so and
 * why, instead of acting on nothing. Its processes are then those of its PID namespace, when it has
 * one of its own. With a cgroup (delegated hierarchies), everything goes to the cgroupfs one.
 */
import type { Spec } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { processesInPidNamespaceOf } from '../util/pid-namespace.js';
import { isSameLiveProcess } from '../util/proc.js';
import type { ContainerCgroup, ManagedCgroup } from './driver.js';
import type { StatsSource } from './stats.js';
import type { LinuxResources } from '../spec/types.js';

/** What of a container's record the rootless cgroup needs. */
export interface RootlessRecord {
  id: string;
  pid?: number;
  pidStartTime?: number;
  config?: Pick<Spec, 'linux'>;
}

/** The one sentence every refusal shares. */
export function noCgroupReason(id: string, what: string, more = ''): string {
  return `cannot ${what} container "${id}": it runs rootless without a cgroup (keel could not create one: cgroups are not delegated to this user on this host)${more}`;
}

export class RootlessContainerCgroup implements ContainerCgroup {
  constructor(
    protected readonly inner: ContainerCgroup,
    protected readonly record: RootlessRecord,
  ) {}

  get dirs(): readonly string[] {
    return this.inner.dirs;
  }

  protected get cgroupless(): boolean {
    return this.inner.dirs.length === 0;
  }

  protected refuse(what: string, more?: string): never {
    throw new KeelError(noCgroupReason(this.record.id, what, more));
  }

  join(pid: number, dirs?: readonly string[]): void {
    this.inner.join(pid, dirs);
  }

  isFrozen(): boolean {
    return this.inner.isFrozen();
  }

  async setFrozen(frozen: boolean): Promise<void> {
    if (this.cgroupless) this.refuse(frozen ? 'pause' : 'resume');
    await this.inner.setFrozen(frozen);
  }

  killAll(): boolean {
    return this.inner.killAll();
  }

  pids(): number[] {
    if (!this.cgroupless) return this.inner.pids();
    const ownPidNamespace = this.record.config?.linux?.namespaces?.some((ns) => ns.type === 'pid' && !ns.path);
    if (ownPidNamespace && this.record.pid !== undefined) {
      // With its init gone, so is its PID namespace and all in it; the pid may be another process's now.
      return isSameLiveProcess(this.record.pid, this.record.pidStartTime) ? processesInPidNamespaceOf(this.record.pid) : [];
    }
    return this.refuse('find every process of', ", and it shares keel's PID namespace, where only a cgroup could tell its processes");
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

export class RootlessManagedCgroup extends RootlessContainerCgroup implements ManagedCgroup {
  constructor(
    private readonly managed: ManagedCgroup,
    record: RootlessRecord,
  ) {
    super(managed, record);
  }

  execDirs(values: readonly string[]): string[] {
    if (this.cgroupless && values.length) this.refuse('join a sub-cgroup (exec --cgroup) of');
    return this.managed.execDirs(values);
  }

  async update(changed: LinuxResources, merged: LinuxResources): Promise<void> {
    if (this.cgroupless) this.refuse('update the limits of');
    await this.managed.update(changed, merged);
  }

  statsSource(): StatsSource {
    if (this.cgroupless) this.refuse('read the stats of');
    return this.managed.statsSource();
  }
}
