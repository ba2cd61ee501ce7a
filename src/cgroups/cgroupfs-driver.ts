/**
 * The cgroupfs driver: keel makes and writes the container's cgroup directories itself, in every
 * v1 hierarchy (and the cgroup2 one beside them on a hybrid host) or in the one cgroup2 tree. The
 * work is manager.ts's; this binds it to the driver interfaces (driver.ts).
 */
import type { LinuxResources } from '../spec/types.js';
import { CgroupfsCgroup } from './cgroupfs-cgroup.js';
import type { CgroupConfig, CgroupDriver, ManagedCgroup, NewContainerCgroup } from './driver.js';
import { execCgroupDirs } from './exec-cgroup.js';
import { detectCgroupLayout, type CgroupLayout } from './layout.js';
import { cgroupDirs, containerCgroupPath, controllerDir, planWrites, setupCgroups, writeLimits, type AttachDeviceProgram, type CgroupSetup } from './manager.js';
import { v2UpdateResources, type CgroupWrite } from './resources.js';
import { directoryReader, type StatsSource } from './stats.js';

export class CgroupfsDriver implements CgroupDriver {
  readonly name = 'cgroupfs';
  #layout: CgroupLayout | undefined;

  constructor(private readonly findLayout: () => CgroupLayout = detectCgroupLayout) {}

  get layout(): CgroupLayout {
    return (this.#layout ??= this.findLayout());
  }

  describe(): string {
    return this.layout.mode;
  }

  place(config: CgroupConfig, id: string): NewContainerCgroup {
    const path = containerCgroupPath(config.linux?.cgroupsPath, id);
    return new NewCgroupfsCgroup(this, cgroupDirs(this.layout, path).map((d) => d.dir), path, config.linux?.resources ?? {});
  }

  open(dirs: readonly string[]): ManagedCgroup {
    return new ManagedCgroupfsCgroup(this, dirs);
  }

  plannedWrites(resources: LinuxResources): CgroupWrite[] {
    return planWrites(this.layout, resources);
  }
}

class ManagedCgroupfsCgroup extends CgroupfsCgroup implements ManagedCgroup {
  constructor(
    protected readonly driver: CgroupfsDriver,
    dirs: readonly string[],
  ) {
    super(dirs);
  }

  execDirs(values: readonly string[]): string[] {
    return execCgroupDirs(this.driver.layout, this.dirs, values);
  }

  async update(changed: LinuxResources, merged: LinuxResources): Promise<void> {
    const layout = this.driver.layout;
    writeLimits(layout, this.dirs, layout.mode === 'v2' ? v2UpdateResources(changed, merged) : changed);
  }

  statsSource(): StatsSource {
    const layout = this.driver.layout;
    const { read, list } = directoryReader((controller) => controllerDir(layout, this.dirs, controller));
    return { v2: layout.mode === 'v2', read, listHugetlb: () => list('hugetlb') };
  }
}

class NewCgroupfsCgroup extends ManagedCgroupfsCgroup implements NewContainerCgroup {
  constructor(
    driver: CgroupfsDriver,
    dirs: readonly string[],
    readonly path: string,
    private readonly resources: LinuxResources,
  ) {
    super(driver, dirs);
  }

  async create(pid: number, attachDeviceProgram?: AttachDeviceProgram): Promise<CgroupSetup> {
    return setupCgroups(this.driver.layout, this.path, this.resources, pid, attachDeviceProgram);
  }
}
