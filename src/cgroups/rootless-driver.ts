/**
 * Cgroups for a rootless keel, as runc's rootless cgroupfs manager does them: the container's
 * cgroup is made only in the hierarchies the user may write (delegated to it). Where it may not
 * (this project's hybrid hosts: every hierarchy is root's):
 *  - a config without limits runs, in no cgroup of its own;
 *  - a limit is refused before anything is created, naming its field (runc fails the same config
 *    at create: "cannot set memory limit: container could not join or create cgroup");
 *  - an explicit linux.cgroupsPath is refused, naming it (runc, too, fails on it when rootless);
 *  - device rules are not written: the devices cgroup is root's, and a user namespace cannot
 *    make device nodes anyway (runc ignores the devices controller when rootless too).
 * The verbs on such a container say why they cannot do what needs a cgroup (rootless-cgroup.ts).
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { ConfigError, type SpecProblem } from '../spec/problem.js';
import type { LinuxResources } from '../spec/types.js';
import { KeelError } from '../util/errors.js';
import { CgroupfsDriver } from './cgroupfs-driver.js';
import type { CgroupConfig, CgroupDriver, ManagedCgroup, NewContainerCgroup } from './driver.js';
import { unsupportedLimits } from './host-support.js';
import { detectCgroupLayout, type CgroupLayout } from './layout.js';
import { cgroupDirs, containerCgroupPath, planLimitWrites, setupCgroups, type CgroupSetup } from './manager.js';
import type { CgroupWrite } from './resources.js';
import type { StatsSource } from './stats.js';

/**
 * Whether this process may make (or join) the cgroup directory `dir`: write access to its
 * cgroup.procs when it exists, else to its nearest existing ancestor.
 */
export function canCreateCgroup(dir: string): boolean {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at === dir ? join(dir, 'cgroup.procs') : at, at === dir ? constants.W_OK : constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class RootlessCgroupfsDriver implements CgroupDriver {
  readonly name = 'cgroupfs';
  readonly #full: CgroupfsDriver;

  constructor(
    findLayout: () => CgroupLayout = detectCgroupLayout,
    private readonly writable: (dir: string) => boolean = canCreateCgroup,
    private readonly uid: number = process.geteuid?.() ?? 0,
    /** keel's own cgroups, where the container's init stays in the hierarchies it gets none of. */
    private readonly ownCgroups: () => ReturnType<typeof parseProcCgroup> = () => parseProcCgroup(readFileSync('/proc/self/cgroup', 'utf8')),
  ) {
    this.#full = new CgroupfsDriver(findLayout);
  }

  get layout(): CgroupLayout {
    return this.#full.layout;
  }

  describe(): string {
    return `${this.#full.describe()}, rootless`;
  }

  /** The hierarchies where this user can make the cgroup `path`; undefined where none. */
  usableLayout(path: string): CgroupLayout | undefined {
    const layout = this.layout;
    if (layout.mode === 'v2') return this.writable(join(layout.root, path)) ? layout : undefined;
    const v1 = layout.v1.filter((h) => this.writable(join(layout.root, h.dir, path)));
    const unifiedDir = layout.unifiedDir && this.writable(join(layout.root, layout.unifiedDir, path)) ? layout.unifiedDir : undefined;
    return v1.length || unifiedDir ? { ...layout, v1, unifiedDir } : undefined;
  }

  place(config: CgroupConfig, id: string): NewContainerCgroup {
    const path = containerCgroupPath(config.linux?.cgroupsPath, id);
    const usable = this.usableLayout(path);
    if (config.linux?.cgroupsPath) {
      const denied = cgroupDirs(this.layout, path).find((d) => !usable || !cgroupDirs(usable, path).some((u) => u.dir === d.dir));
      if (denied) {
        throw new ConfigError('/linux/cgroupsPath', `keel runs rootless, and uid ${this.uid} cannot create ${denied.dir} (cgroups are not delegated to it here): remove linux.cgroupsPath, or delegate that cgroup to the user`);
      }
    }
    const resources = config.linux?.resources ?? {};
    const made = usable ? cgroupDirs(usable, path).map((d) => d.dir) : [];
    const own = this.ownCgroups();
    const mountPaths: Record<string, string> = {};
    for (const { dir, hierarchy, controllers } of hierarchies(this.layout)) {
      if (made.includes(join(this.layout.root, dir, path))) continue;
      const mine = own.find((c) => (hierarchy === 'v2' ? c.controllers.length === 0 && c.v2 : c.controllers.length > 0 && c.controllers.every((x) => controllers.includes(x))));
      if (mine) mountPaths[dir] = mine.path;
    }
    return new RootlessNewCgroup(usable ? new CgroupfsDriver(() => usable).open(made) : undefined, usable, path, resources, mountPaths);
  }

  open(dirs: readonly string[]): ManagedCgroup {
    return this.#full.open(dirs);
  }

  /** The limits only: device rules are not written rootless. */
  plannedWrites(resources: LinuxResources): CgroupWrite[] {
    return planLimitWrites(this.layout, resources);
  }

  unsupportedLimits(resources: LinuxResources, path: string): SpecProblem[] {
    const writes = this.plannedWrites(resources);
    const problems = unsupportedLimits(this.layout, path, writes);
    const usable = this.usableLayout(path);
    for (const w of writes) {
      if (problems.some((p) => p.path === w.field)) continue;
      const target = cgroupDirs(this.layout, path).find((d) => this.layout.mode === 'v2' || d.controllers.includes(w.controller));
      const reachable = usable && cgroupDirs(usable, path).some((d) => d.dir === target?.dir);
      if (target && !reachable) {
        problems.push({
          path: w.field,
          message: `cannot set the ${w.controller} limit: keel runs rootless, and uid ${this.uid} cannot create the container's cgroup ${target.dir} (cgroups are not delegated to it here): remove the field, or run keel as root`,
        });
      }
    }
    return problems;
  }
}

/** Each hierarchy of a layout: its directory under the root ("" on v2) and its controllers. */
function hierarchies(layout: CgroupLayout): { dir: string; hierarchy: 'v1' | 'v2'; controllers: string[] }[] {
  if (layout.mode === 'v2') return [{ dir: '', hierarchy: 'v2', controllers: [] }];
  const v1 = layout.v1.map((h) => ({ dir: h.dir, hierarchy: 'v1' as const, controllers: h.options.split(',') }));
  return layout.unifiedDir ? [...v1, { dir: layout.unifiedDir, hierarchy: 'v2' as const, controllers: [] }] : v1;
}

/** /proc/<pid>/cgroup: "id:controllers:path" lines (v1, "name=systemd" for a named one; "0::path" for v2). */
export function parseProcCgroup(text: string): { v2: boolean; controllers: string[]; path: string }[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [id, controllers = '', ...rest] = line.split(':');
      return { v2: id === '0' && controllers === '', controllers: controllers ? controllers.split(',') : [], path: rest.join(':') };
    });
}

/** A rootless container's cgroup before create: in the usable hierarchies only, or none at all. */
class RootlessNewCgroup implements NewContainerCgroup {
  constructor(
    private readonly managed: ManagedCgroup | undefined,
    private readonly usable: CgroupLayout | undefined,
    readonly path: string,
    private readonly resources: LinuxResources,
    readonly mountPaths: Readonly<Record<string, string>>,
  ) {}

  get dirs(): readonly string[] {
    return this.managed?.dirs ?? [];
  }

  async create(pid: number): Promise<CgroupSetup> {
    if (!this.usable) return { dirs: [], writes: [] };
    return setupCgroups(this.usable, this.path, this.resources, pid, undefined, { deviceRules: false });
  }

  join(pid: number, dirs?: readonly string[]): void {
    this.managed?.join(pid, dirs);
  }

  isFrozen(): boolean {
    return this.managed?.isFrozen() ?? false;
  }

  async setFrozen(frozen: boolean): Promise<void> {
    await this.managed?.setFrozen(frozen);
  }

  killAll(): boolean {
    return this.managed?.killAll() ?? false;
  }

  pids(): number[] {
    return this.managed?.pids() ?? [];
  }

  async destroy(): Promise<void> {
    await this.managed?.destroy();
  }

  execDirs(values: readonly string[]): string[] {
    return this.managed?.execDirs(values) ?? [];
  }

  async update(changed: LinuxResources, merged: LinuxResources): Promise<void> {
    await this.managed?.update(changed, merged);
  }

  statsSource(): StatsSource {
    if (!this.managed) throw new KeelError('a rootless container without a cgroup has no stats');
    return this.managed.statsSource();
  }
}
