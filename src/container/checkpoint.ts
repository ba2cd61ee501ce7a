/**
 * `keel checkpoint`: CRIU saves a running container's processes into image files. Everything that
 * can refuse (the flags, the container's status, CRIU itself) refuses before the host changes; a
 * dump that fails leaves the container running as it was (CRIU thaws what it froze). After a
 * successful dump the container is deleted, as runc does, unless --leave-running or --pre-dump.
 */
import { closeSync, constants, mkdirSync, openSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { containerCgroupOf } from '../cgroups/driver.js';
import { checkCriu, DEFAULT_CRIU } from '../criu/check.js';
import { dumpRequest, type DumpFacts } from '../criu/dump-request.js';
import { criuFailure } from '../criu/log.js';
import type { CheckpointOptions } from '../criu/options.js';
import { CriuSwrk } from '../criu/swrk.js';
import type { StateRecord } from '../state/record.js';
import { ContainerLock, type StateStore } from '../state/store.js';
import { KeelError, errnoCode, fsError } from '../util/errors.js';
import { log } from '../util/log.js';
import { deleteContainer } from './delete.js';

/** runc's name for the init's stdio targets, kept with the images so restore can hand the new ones in their place. */
export const DESCRIPTORS_FILE = 'descriptors.json';

export async function checkpointContainer(store: StateStore, id: string, opts: CheckpointOptions, criuBinary = DEFAULT_CRIU): Promise<void> {
  const lock = await ContainerLock.acquire(store, id);
  try {
    const record = store.read(id);
    const status = store.status(record);
    // runc's rule: a created container has no program to save yet, a stopped one nothing at all.
    if (status !== 'running' && status !== 'paused') throw new KeelError(`cannot checkpoint container "${id}": it is ${status}, not running`);
    const criu = checkCriu(criuBinary);
    if (!criu.ready) throw new KeelError(`cannot checkpoint container "${id}": ${criu.reason}`);
    await dump(id, record, opts, criuBinary);
  } finally {
    lock.release();
  }
  // Reached only when the dump succeeded.
  if (!opts.leaveRunning && !opts.preDump) {
    // CRIU has killed the processes; what is left is the record, the cgroups and the poststop hooks.
    await deleteContainer(store, id, true);
  }
}

async function dump(id: string, record: StateRecord, opts: CheckpointOptions, criuBinary: string): Promise<void> {
  const pid = record.pid!;
  const imagesDirFd = openDirMade(opts.imagesDir, '--image-path');
  const workDirFd = opts.workDir === undefined ? undefined : openDirMade(opts.workDir, '--work-path');
  try {
    if (opts.parentImage !== undefined) requireDir(join(opts.imagesDir, opts.parentImage), '--parent-path');
    const facts: DumpFacts = {
      pid,
      rootfs: record.rootfs,
      spec: record.config,
      imagesDirFd,
      workDirFd,
      freezeCgroup: freezeCgroupOf(record),
      maskedFiles: (record.config.linux?.maskedPaths ?? []).filter((p) => isFileInContainer(pid, p)),
      joinedNamespaces: joinedNamespaces(record),
    };
    if (!opts.preDump) writeFileSync(join(opts.imagesDir, DESCRIPTORS_FILE), JSON.stringify([0, 1, 2].map((fd) => stdioTarget(pid, fd))), { mode: 0o600 });
    const criu = CriuSwrk.start(criuBinary);
    try {
      const resp = await criu.request(dumpRequest(opts, facts), (script) => log().debug(`criu: ${script}`));
      if (!resp.success) throw new KeelError(`cannot checkpoint container "${id}": ${criuFailure(resp, opts.workDir ?? opts.imagesDir, opts.preDump ? 'pre-dump.log' : 'dump.log')}`);
    } finally {
      await criu.close();
    }
    log().debug(`container ${id}: ${opts.preDump ? 'pre-dumped' : 'dumped'} into ${opts.imagesDir}`);
  } finally {
    closeSync(imagesDirFd);
    if (workDirFd !== undefined) closeSync(workDirFd);
  }
}

/** The directory, made if missing (0700, as runc: a checkpoint holds the processes' memory), opened for CRIU. */
function openDirMade(dir: string, flag: string): number {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (err) {
    throw fsError(`${flag}: cannot use`, dir, err);
  }
}

function requireDir(dir: string, flag: string): void {
  try {
    if (!statSync(dir).isDirectory()) throw new KeelError(`${flag}: "${dir}" is not a directory`);
  } catch (err) {
    if (err instanceof KeelError) throw err;
    throw fsError(`${flag}: cannot use`, dir, err);
  }
}

/** The v1 freezer's directory, or the v2 one; CRIU freezes the whole container with it instead of ptrace-stopping each process. */
function freezeCgroupOf(record: StateRecord): string | undefined {
  const dirs = containerCgroupOf(record).dirs;
  return dirs.find((d) => d.includes('/freezer/')) ?? dirs.find((d) => existsFile(join(d, 'cgroup.freeze')));
}

function existsFile(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

function isFileInContainer(pid: number, path: string): boolean {
  try {
    return !statSync(join(`/proc/${pid}/root`, path)).isDirectory();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function joinedNamespaces(record: StateRecord): DumpFacts['joinedNamespaces'] {
  const out: DumpFacts['joinedNamespaces'] = [];
  for (const ns of record.config.linux?.namespaces ?? []) {
    if ((ns.type === 'network' || ns.type === 'pid') && ns.path) out.push({ type: ns.type, inode: statSync(ns.path).ino });
  }
  return out;
}

function stdioTarget(pid: number, fd: number): string {
  try {
    return readlinkSync(`/proc/${pid}/fd/${fd}`);
  } catch {
    return '/dev/null';
  }
}
