/**
 * The effects side of cgroups: make a container's cgroup in every hierarchy, write its limits,
 * move a process in, freeze it, list its processes, remove it. What to write comes from
 * resources.ts; where, from the host's layout (layout.ts).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';

import type { LinuxResources } from '../spec/types.js';
import { KeelError, errnoCode } from '../util/errors.js';
import { strerror } from '../util/errno.js';
import type { CgroupLayout } from './layout.js';
import { compileDeviceProgram, encodeProgram } from './device-bpf.js';
import { controllerMissing, fileMissing } from './host-support.js';
import { ConfigError } from '../spec/problem.js';
import { containerDeviceRules, v1DeviceWrites, v1Writes, v2Writes, type CgroupWrite } from './resources.js';

/**
 * Where a container's cgroup goes: cgroupsPath as given when absolute; under /keel when relative
 * or empty (like runc's default, which is /<id> under the runtime's own parent).
 */
export function containerCgroupPath(cgroupsPath: string | undefined, id: string): string {
  if (cgroupsPath?.split('/').includes('..')) {
    throw new KeelError(`config.json: /linux/cgroupsPath: "${cgroupsPath}" climbs with "..": give the cgroup's path without it`);
  }
  const path = !cgroupsPath ? `/keel/${id}` : cgroupsPath.startsWith('/') ? cgroupsPath : `/keel/${cgroupsPath}`;
  const normal = posix.normalize(path);
  if (normal === '/') {
    throw new KeelError(`config.json: /linux/cgroupsPath: "${cgroupsPath}" does not name a cgroup of its own`);
  }
  return normal;
}

/** The container's directory in each hierarchy, keyed by the controllers mounted there. */
export function cgroupDirs(layout: CgroupLayout, path: string): { dir: string; controllers: string[] }[] {
  if (layout.mode === 'v2') return [{ dir: join(layout.root, path), controllers: [] }];
  const dirs = layout.v1.map((h) => ({ dir: join(layout.root, h.dir, path), controllers: h.options.split(',') }));
  if (layout.unifiedDir) dirs.push({ dir: join(layout.root, layout.unifiedDir, path), controllers: [] });
  return dirs;
}

/**
 * Kernels whose block devices use the BFQ scheduler (and no CFQ) have no blkio.weight and
 * blkio.weight_device, only BFQ's own blkio.bfq.weight and blkio.bfq.weight_device, which take
 * the same values; runc writes those there too.
 */
export function v1BlkioFile(dir: string, file: string): string {
  if (file !== 'blkio.weight' && file !== 'blkio.weight_device') return file;
  const bfq = file.replace('blkio.', 'blkio.bfq.');
  return !existsSync(join(dir, file)) && existsSync(join(dir, bfq)) ? bfq : file;
}

/** The controllers of the v1 hierarchy a container directory lies in (none on v2: one hierarchy). */
export function controllersOfDir(layout: CgroupLayout, dir: string): string[] {
  if (layout.mode === 'v2') return [];
  const hierarchy = layout.v1.find((h) => dir.startsWith(join(layout.root, h.dir) + '/'));
  return hierarchy ? hierarchy.options.split(',') : [];
}

/** Which of a container's directories (one per hierarchy) holds `controller`'s files. */
export function controllerDir(layout: CgroupLayout, dirs: readonly string[], controller: string): string | undefined {
  if (layout.mode === 'v2') return dirs[0];
  return dirs.find((d) => controllersOfDir(layout, d).includes(controller));
}

function write(dir: string, name: string, value: string): void {
  const file = v1BlkioFile(dir, name);
  try {
    writeFileSync(join(dir, file), value);
  } catch (err) {
    const code = errnoCode(err);
    const hint =
      code === 'ENOENT'
        ? ' (this kernel has no such cgroup file)'
        : code === 'EBUSY' && file === 'cgroup.subtree_control'
          ? ' (on cgroup v2 a cgroup with processes of its own cannot hand controllers down: put cgroupsPath under one without)'
          : '';
    throw new KeelError(`cgroup: cannot write "${value}" to ${join(dir, file)}: ${code ? strerror(code) : String(err)}${hint}`);
  }
}

/** A new cpuset cgroup starts with no CPUs and no memory nodes; it inherits its parent's. */
function fillCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    if (readFileSync(join(dir, file), 'utf8').trim() === '') write(dir, file, readFileSync(join(dir, '..', file), 'utf8').trim());
  }
}

/** mkdir -p that also gives each new cpuset level its parent's CPUs and memory nodes. */
function makeDir(dir: string, isCpuset: boolean): void {
  if (existsSync(dir)) return;
  const parent = join(dir, '..');
  makeDir(parent, isCpuset);
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = errnoCode(err);
    // A plain user with --rootless false (or a keel without root) ends up here.
    const hint = code === 'EACCES' || code === 'EPERM' ? `: keel's uid ${process.geteuid?.()} may not make cgroups here (run as root, or rootless: --rootless auto)` : '';
    throw new KeelError(`cgroup: cannot create ${dir}: ${code ? strerror(code) : String(err)}${hint}`);
  }
  if (isCpuset) fillCpuset(dir);
}

/**
 * On v2, a controller must be enabled in every ancestor's subtree_control to be usable below it.
 * Like runc, every controller the parent offers is enabled, not only those with limits now: `keel
 * update` may set the others later, and their files are where stats come from. A controller the
 * kernel will not enable here fails the container only when one of its files is to be written.
 */
export function enableV2Controllers(layout: CgroupLayout, path: string, needed: Set<string>): void {
  let dir = layout.root;
  for (const part of path.split('/').filter(Boolean)) {
    const available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/).filter(Boolean);
    const enabled = new Set(readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').trim().split(/\s+/));
    const missing = available.filter((c) => !enabled.has(c));
    if (missing.length) {
      try {
        write(dir, 'cgroup.subtree_control', missing.map((c) => `+${c}`).join(' '));
      } catch {
        for (const c of missing) {
          try {
            write(dir, 'cgroup.subtree_control', `+${c}`);
          } catch (err) {
            if (needed.has(c)) throw err;
          }
        }
      }
    }
    dir = join(dir, part);
    try {
      mkdirSync(dir);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err; // another container made the same parent meanwhile
    }
  }
}

export interface CgroupSetup {
  /** The container's leaf directories, to remove at delete. */
  dirs: string[];
  writes: CgroupWrite[];
}

/** The limits' files: what create writes, and what `keel update` changes. */
export function planLimitWrites(layout: CgroupLayout, resources: LinuxResources): CgroupWrite[] {
  return layout.mode === 'v2' ? v2Writes(resources) : v1Writes(resources);
}

/** Everything create writes: the limits, then on v1 and hybrid hosts the device rules. */
export function planWrites(layout: CgroupLayout, resources: LinuxResources): CgroupWrite[] {
  const limits = planLimitWrites(layout, resources);
  return layout.mode === 'v2' ? limits : [...limits, ...v1DeviceWrites(resources.devices)];
}

/**
 * On cgroup v2 the device rules become a BPF program (struct bpf_insn[]) for the container's
 * cgroup; on v1 and hybrid hosts they are devices.allow/deny writes (planWrites) and this is none.
 */
export function planDeviceProgram(layout: CgroupLayout, resources: LinuxResources): Buffer | undefined {
  if (layout.mode !== 'v2') return undefined;
  return encodeProgram(compileDeviceProgram(containerDeviceRules(resources.devices)));
}

/** Loads and attaches a device program to a cgroup v2 directory (native/libkeel's, passed in so
 * that this module does not load the native addon for verbs that never need it). */
export type AttachDeviceProgram = (dir: string, program: Buffer) => void;

/** Makes the container's cgroup, writes its limits and moves `pid` in (its children follow). */
export function setupCgroups(
  layout: CgroupLayout,
  path: string,
  resources: LinuxResources,
  pid: number,
  attachDeviceProgram?: AttachDeviceProgram,
  // Rootless: the devices cgroup is root's, so only the limits are written (rootless-driver.ts).
  { deviceRules = true }: { deviceRules?: boolean } = {},
): CgroupSetup {
  const writes = deviceRules ? planWrites(layout, resources) : planLimitWrites(layout, resources);
  const deviceProgram = deviceRules ? planDeviceProgram(layout, resources) : undefined;
  const dirs = cgroupDirs(layout, path);
  const setup: CgroupSetup = { dirs: [], writes };
  try {
    if (layout.mode === 'v2') enableV2Controllers(layout, path, new Set(writes.map((w) => w.controller)));
    for (const { dir, controllers } of dirs) {
      makeDir(dir, controllers.includes('cpuset'));
      setup.dirs.push(dir);
    }
    for (const w of writes) {
      const target = layout.mode === 'v2' ? dirs[0]! : dirs.find((d) => d.controllers.includes(w.controller));
      if (!target) throw new ConfigError(w.field, controllerMissing(layout, w.controller));
      writeLimit(target.dir, w);
    }
    if (deviceProgram) {
      if (!attachDeviceProgram) throw new KeelError('cgroup: linux.resources.devices needs a device program on cgroup v2, and none can be attached here');
      try {
        attachDeviceProgram(dirs[0]!.dir, deviceProgram);
      } catch (err) {
        throw new KeelError(`cgroup: cannot enforce linux.resources.devices: ${(err as Error).message}`);
      }
    }
    // Only now the process moves in: nothing of the container runs before its limits hold.
    moveIntoCgroups(dirs.map((d) => d.dir), pid);
  } catch (err) {
    destroyCgroups(setup.dirs);
    throw err;
  }
  return setup;
}

/** One limit at create; a failure names the config field (create checked most with unsupportedLimits first). */
function writeLimit(dir: string, w: CgroupWrite): void {
  try {
    write(dir, w.file, w.value);
  } catch (err) {
    // cgroupfs cannot create files: a write to one the kernel lacks fails (EACCES), saying nothing of why.
    if (!existsSync(join(dir, v1BlkioFile(dir, w.file)))) throw new ConfigError(w.field, fileMissing(w.controller, w.file));
    throw new ConfigError(w.field, (err as Error).message.replace(/^cgroup: /, ''));
  }
}

/** Moves process `pid` (and the children it makes from now on) into each of `dirs`. */
export function moveIntoCgroups(dirs: readonly string[], pid: number): void {
  for (const dir of dirs) write(dir, 'cgroup.procs', String(pid));
}

/**
 * Writes limits into a container's existing cgroup directories (`keel update`): each file goes to
 * the hierarchy that has its controller (a v1 directory sits under /sys/fs/cgroup/<controllers>/).
 */
export function writeLimits(layout: CgroupLayout, dirs: readonly string[], resources: LinuxResources): void {
  const dirOf = (controller: string) => {
    const dir = controllerDir(layout, dirs, controller);
    if (!dir) throw new KeelError(`cgroup: this container has no ${controller} cgroup to update`);
    return dir;
  };
  const memory = resources.memory;
  if (memory?.checkBeforeUpdate && memory.limit !== undefined && memory.limit > 0) {
    const usage = Number(readFileSync(join(dirOf('memory'), layout.mode === 'v2' ? 'memory.current' : 'memory.usage_in_bytes'), 'utf8'));
    if (memory.limit < usage) {
      throw new KeelError(`memory.limit: ${memory.limit} bytes is below what the container uses now (${usage} bytes), and checkBeforeUpdate is set: give a higher limit, or free memory first`);
    }
  }
  for (const w of planLimitWrites(layout, resources)) write(dirOf(w.controller), w.file, w.value);
}

/** A cgroup directory and every cgroup nested in it, the deepest first. */
function subtree(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return []; // Already removed.
  }
  return [...entries.filter((e) => e.isDirectory()).flatMap((e) => subtree(join(dir, e.name))), dir];
}

/**
 * Every process in the container's cgroups, nested cgroups included: a container may make its own
 * below its root (systemd, an engine inside), and those processes are the container's too.
 */
export function cgroupPids(dirs: readonly string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs.flatMap(subtree)) {
    try {
      for (const line of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.add(Number(line));
    } catch {
      // Already removed.
    }
  }
  return [...pids];
}

/**
 * SIGKILL to every process in the container's cgroup and below through cgroup.kill (cgroup v2,
 * Linux 5.14+): one write that a forking process cannot outrun, unlike signalling a PID list.
 * Returns false where no directory has the file (v1 only, or an older kernel) or the write fails
 * (the cgroup went away): callers signal the PIDs they find all the same.
 */
export function cgroupKill(dirs: readonly string[]): boolean {
  const dir = dirs.find((d) => existsSync(join(d, 'cgroup.kill')));
  if (!dir) return false;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
    return true;
  } catch {
    return false;
  }
}

/** Kills what is left and removes the directories, nested ones first (a cgroup can be removed once it is empty). */
export function destroyCgroups(dirs: readonly string[]): void {
  // Usually the container's processes are gone and it made no cgroups of its own: one rmdir each.
  if ([...dirs].reverse().every(removedIfEmpty)) return;
  cgroupKill(dirs);
  for (const pid of cgroupPids(dirs)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
  const deadline = Date.now() + 2000;
  for (const dir of [...dirs].reverse().flatMap(subtree)) {
    for (;;) {
      try {
        rmdirSync(dir);
        break;
      } catch (err) {
        const code = errnoCode(err);
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || Date.now() > deadline) throw new KeelError(`cgroup: cannot remove ${dir}: ${code ? strerror(code) : String(err)}`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
      }
    }
  }
}

function removedIfEmpty(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return errnoCode(err) === 'ENOENT';
  }
}

function freezerDir(dirs: readonly string[]): { dir: string; v2: boolean } | undefined {
  const v1 = dirs.find((d) => d.includes('/freezer/'));
  if (v1) return { dir: v1, v2: false };
  const v2 = dirs.find((d) => existsSync(join(d, 'cgroup.freeze')));
  return v2 ? { dir: v2, v2: true } : undefined;
}

export function isFrozen(dirs: readonly string[]): boolean {
  const f = freezerDir(dirs);
  if (!f) return false;
  try {
    if (f.v2) return /^frozen 1$/m.test(readFileSync(join(f.dir, 'cgroup.events'), 'utf8'));
    return readFileSync(join(f.dir, 'freezer.state'), 'utf8').trim() === 'FROZEN';
  } catch {
    return false;
  }
}

/** Freezes or thaws every process of the container, and waits until the kernel says it is done. */
export async function setFrozen(dirs: readonly string[], frozen: boolean): Promise<void> {
  const f = freezerDir(dirs);
  if (!f) throw new KeelError('cgroup: this container has no freezer cgroup, so it cannot be paused');
  if (f.v2) write(f.dir, 'cgroup.freeze', frozen ? '1' : '0');
  else write(f.dir, 'freezer.state', frozen ? 'FROZEN' : 'THAWED');
  const deadline = Date.now() + 5000;
  while (isFrozen(dirs) !== frozen) {
    if (Date.now() > deadline) throw new KeelError(`cgroup: the container did not ${frozen ? 'freeze' : 'thaw'} within 5 s`);
    if (!f.v2 && frozen) write(f.dir, 'freezer.state', 'FROZEN'); // v1 may stop at FREEZING; asking again retries
    await new Promise((r) => setTimeout(r, 5));
  }
}
