/**
 * The cgroup driver seam. A driver decides how a container's cgroups are made, changed, read and
 * removed: cgroupfs (keel writes /sys/fs/cgroup itself, on v1, hybrid and v2 hosts) or, with
 * `--systemd-cgroup`, systemd (a transient unit: systemd-driver.ts, loaded from its own bundle by
 * systemd-bundle.ts). create, exec, update, pause, resume, kill, delete, events, ps, explain and
 * validate talk to these interfaces only.
 *
 * A container stays with the driver that created it: state.json records the driver's name, and
 * every later verb takes it from there, whatever global flags it is given (runc, too, reads the
 * cgroup manager of an existing container from its state, not from --systemd-cgroup).
 */
import type { SpecProblem } from '../spec/problem.js';
import type { LinuxResources, Spec } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { CgroupfsCgroup } from './cgroupfs-cgroup.js';
import { RootlessContainerCgroup, type RootlessRecord } from './rootless-cgroup.js';
import type { CgroupLayout } from './layout.js';
import type { AttachDeviceProgram, CgroupSetup } from './manager.js';
import type { CgroupWrite } from './resources.js';
import type { StatsSource } from './stats.js';
import { SystemdContainerCgroup } from './systemd-bundle.js';

export type CgroupDriverName = 'cgroupfs' | 'systemd';

/** What of a container's config its cgroup depends on: linux.cgroupsPath, linux.resources and (systemd) annotations. */
export type CgroupConfig = Pick<Spec, 'linux' | 'annotations'>;

/** How one kind of cgroup management works on this host. */
export interface CgroupDriver {
  readonly name: CgroupDriverName;
  /** The host's cgroup layout (found when first asked: the verbs that do not need it pay nothing). */
  readonly layout: CgroupLayout;
  /** What `keel explain` prints after the cgroup's path, e.g. "hybrid" or "v2". */
  describe(): string;
  /** A new container's cgroup, where linux.cgroupsPath puts it; a config it cannot take throws, naming the field. */
  place(config: CgroupConfig, id: string): NewContainerCgroup;
  /** An existing container's cgroup, from the directories its state.json records. */
  open(dirs: readonly string[]): ManagedCgroup;
  /** Every file and value create would write for these limits, in order (explain, validate). */
  plannedWrites(resources: LinuxResources): CgroupWrite[];
  /**
   * The limits this host's cgroups cannot take (a controller not mounted, a file the kernel lacks),
   * each naming its config field: create refuses the first before anything exists, validate lists them.
   */
  unsupportedLimits(resources: LinuxResources, path: string): SpecProblem[];
}

/**
 * A container's cgroup as every verb needs it, the light ones (state, list, kill, delete) too:
 * containerCgroupOf gives it without loading what makes cgroups or writes limits.
 */
export interface ContainerCgroup {
  /** The container's directory in each hierarchy: what state.json records as cgroupPaths. */
  readonly dirs: readonly string[];
  /** Moves `pid` (and the children it makes from now on) in: into `dirs`, the container's own by default. */
  join(pid: number, dirs?: readonly string[]): void;
  isFrozen(): boolean;
  /** Freezes or thaws every process, and waits until the kernel says it is done. */
  setFrozen(frozen: boolean): Promise<void>;
  /** SIGKILL to every process at once, which no fork can outrun; false where the host cannot (the caller signals pids()). */
  killAll(): boolean;
  /** Every process in the container's cgroup, nested cgroups included. */
  pids(): number[];
  /** Kills what is left and removes the cgroup. */
  destroy(): Promise<void>;
}

/** A container's cgroup with what needs the host's layout: from its driver (CgroupDriver.open). */
export interface ManagedCgroup extends ContainerCgroup {
  /** The directories `exec --cgroup [controllers:]path` values name (existing sub-cgroups); checks the values only. */
  execDirs(values: readonly string[]): string[];
  /** `keel update`: `changed` is what the caller gave, `merged` the whole of linux.resources after it. */
  update(changed: LinuxResources, merged: LinuxResources): Promise<void>;
  /** Where `events` reads usage and OOM kills from. */
  statsSource(): StatsSource;
}

/** A container's cgroup before create has made it. */
export interface NewContainerCgroup extends ManagedCgroup {
  /** The cgroup relative to each hierarchy's root (the plan's cgroup mounts bind it). */
  readonly path: string;
  /** Hierarchies (by directory, "" on v2) where the container gets no cgroup of its own, and the one its init stays in (rootless). */
  readonly mountPaths?: Readonly<Record<string, string>>;
  /** Makes the cgroup, writes the config's limits and moves `pid` in; on failure leaves nothing behind. */
  create(pid: number, attachDeviceProgram?: AttachDeviceProgram): Promise<CgroupSetup>;
}

/**
 * Which driver made a container, from its state.json. A record without the field was written
 * before keel recorded it, when cgroupfs was the only driver.
 */
export function recordedDriver(record: { id: string; cgroupDriver?: string }): CgroupDriverName {
  const name = record.cgroupDriver ?? 'cgroupfs';
  if (name === 'cgroupfs' || name === 'systemd') return name;
  throw new KeelError(`container "${record.id}": state.json: /cgroupDriver: "${name}" is not a cgroup driver keel knows (cgroupfs or systemd)`);
}

/** An existing container's cgroup, as the driver that made it manages it (the light part: see select-driver.ts for the rest). */
export function containerCgroupOf(record: CgroupRecord): ContainerCgroup {
  if (recordedDriver(record) === 'systemd') return new SystemdContainerCgroup(record.cgroupPaths ?? []);
  const cgroup = new CgroupfsCgroup(record.cgroupPaths ?? []);
  return record.rootless ? new RootlessContainerCgroup(cgroup, record) : cgroup;
}

/** What of a container's state.json its cgroup is found from. */
export interface CgroupRecord extends RootlessRecord {
  cgroupDriver?: string;
  cgroupPaths?: string[];
  /** Created by a rootless keel: its cgroup may be missing (rootless-cgroup.ts says why). */
  rootless?: true;
}
