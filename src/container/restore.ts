/**
 * `keel restore`: a new container, from a bundle, whose processes CRIU brings back from a
 * checkpoint's images. Everything that can refuse (the flags, the id, CRIU itself, the bundle, the
 * images) refuses before the host changes; a restore that fails leaves nothing behind (no record,
 * cgroup, mount or process). The new container gets the bundle's cgroup limits and its own id.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { attachDeviceProgram } from '../native/libkeel.js';
import { selectCgroupDriver } from '../cgroups/select-driver.js';
import { checkCriu, DEFAULT_CRIU } from '../criu/check.js';
import { criuFailure } from '../criu/log.js';
import { unlockCriuNetwork } from '../criu/network-unlock.js';
import type { RestoreOptions } from '../criu/options.js';
import { restoreMountpoints } from '../criu/restore-mountpoints.js';
import { restoreRequest } from '../criu/restore-request.js';
import { CriuSwrk } from '../criu/swrk.js';
import { runHooksOrThrow, runHooksWarning } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { loadBundle } from '../spec/load.js';
import type { Mount, Spec } from '../spec/types.js';
import { readProcStat } from '../util/proc.js';
import { creatingRecord } from '../state/new-record.js';
import { validateId, type StateStore } from '../state/store.js';
import { KeelError, fsError } from '../util/errors.js';
import { strerror } from '../util/errno.js';
import { writeFileAtomic } from '../util/fs.js';
import { log } from '../util/log.js';
import { DESCRIPTORS_FILE } from './checkpoint.js';
import { deleteContainer } from './delete.js';
import { RestoredTerminal, unexpectedTerminal } from './restore-terminal.js';

export interface RestoreTarget {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  detach: boolean;
}

/** Returns the exit status to leave with: 0 when detached, else the restored init's exit code, as runc. */
export async function restoreContainer(store: StateStore, target: RestoreTarget, opts: RestoreOptions, criuBinary = DEFAULT_CRIU): Promise<number> {
  const { id } = target;
  validateId(id);
  if (existsSync(store.dir(id))) throw new KeelError(`cannot restore container "${id}": container "${id}" already exists (restore into a new id, or delete it first)`);
  const criu = checkCriu(criuBinary);
  if (!criu.ready) throw new KeelError(`cannot restore container "${id}": ${criu.reason}`);
  const { bundle, spec, rootfs } = loadBundle(target.bundle);
  if (!existsSync(join(opts.imagesDir, 'inventory.img'))) {
    throw new KeelError(`cannot restore container "${id}": ${opts.imagesDir} holds no checkpoint (no inventory.img): name the checkpoint's directory with --image-path`);
  }
  const descriptors = readDescriptors(opts.imagesDir);
  const terminal = await RestoredTerminal.open(id, !!spec.process?.terminal, target);
  try {
    await restoreInto(store, target, { bundle, spec, rootfs, descriptors, terminal }, opts, criuBinary);
  } catch (err) {
    terminal?.close();
    throw err;
  }
  terminal?.close(true);
  if (target.detach) return 0;
  return waitRestored(store, id, spec, terminal?.master);
}

interface Restorable {
  bundle: string;
  spec: Spec;
  rootfs: string;
  descriptors: string[];
  terminal?: RestoredTerminal;
}

async function restoreInto(store: StateStore, target: RestoreTarget, { bundle, spec, rootfs, descriptors, terminal }: Restorable, opts: RestoreOptions, criuBinary: string): Promise<void> {
  const { id } = target;
  await makeMountpoints(id, spec.mounts ?? [], bundle, rootfs);

  const driver = selectCgroupDriver({ systemdCgroup: false });
  const cgroup = driver.place(spec, id);
  const record = creatingRecord({ id, bundle, rootfs, spec, cgroupDriver: driver.name });
  const lock = await store.claim(record);
  const root = join(store.dir(id), 'criu-root');
  let mounted = false;
  let imagesDirFd: number | undefined;
  let workDirFd: number | undefined;
  const nsFds: { type: 'network' | 'pid'; fd: number }[] = [];
  try {
    try {
    // CRIU's root must be a mount point whose parent is not mounted over: a bind of the rootfs.
      mkdirSync(root, { mode: 0o755 });
      execFileSync('mount', ['--rbind', rootfs, root], { stdio: ['ignore', 'ignore', 'pipe'] });
      mounted = true;
      imagesDirFd = openSync(opts.imagesDir, constants.O_RDONLY | constants.O_DIRECTORY);
      if (opts.workDir !== undefined) {
        mkdirSync(opts.workDir, { recursive: true, mode: 0o700 });
        workDirFd = openSync(opts.workDir, constants.O_RDONLY | constants.O_DIRECTORY);
      }
      for (const ns of spec.linux?.namespaces ?? []) {
        if ((ns.type === 'network' || ns.type === 'pid') && ns.path) nsFds.push({ type: ns.type, fd: openSync(ns.path, constants.O_RDONLY) });
      }
      // CRIU's fd 3 is the RPC socket; the namespaces follow from 4 on.
      const joinedNamespaces = nsFds.map((ns, i) => ({ type: ns.type, criuFd: 4 + i }));
      const criuRpc = CriuSwrk.start(criuBinary, nsFds.map((ns) => ns.fd));
      try {
        // Recorded before they are made, as create does: a keel killed in between leaves what delete removes.
        record.cgroupPaths = [...cgroup.dirs];
        store.write(record);
        // CRIU itself joins the new cgroup, with the bundle's limits, so what it restores starts there.
        await cgroup.create(criuRpc.pid, attachDeviceProgram);
        const req = restoreRequest(opts, { bundle, spec, root, imagesDirFd, workDirFd, cgroupPath: cgroup.path, descriptors, joinedNamespaces });
        const resp = await criuRpc.request(req, async (script, pid, fd) => {
          log().debug(`criu: ${script}`);
          if (script === 'orphan-pts-master') {
            await (terminal ? terminal.take(fd) : unexpectedTerminal(id, fd));
          } else if (fd !== undefined) {
            closeSync(fd);
          }
          if (script === 'setup-namespaces' && pid) {
            // runc's moment for them: the namespaces exist, no restored process runs yet.
            const state = hookState(spec, id, bundle, 'creating', pid);
            await runHooksOrThrow('prestart', spec.hooks?.prestart, state);
            await runHooksOrThrow('createRuntime', spec.hooks?.createRuntime, state);
          } else if (script === 'network-unlock' && opts.tcpEstablished) {
            const joined = spec.linux?.namespaces?.find((ns) => ns.type === 'network' && ns.path)?.path;
            if (joined) unlockCriuNetwork(joined);
          } else if (script === 'post-restore' && pid) {
            record.pid = pid;
            record.pidStartTime = readProcStat(pid)?.startTime;
            store.write(record);
          }
        });
        if (!resp.success) throw new KeelError(`cannot restore container "${id}": ${criuFailure(resp, opts.workDir ?? opts.imagesDir, 'restore.log')}`);
        record.pid = resp.restore?.pid ?? record.pid;
        if (!record.pid) throw new KeelError(`cannot restore container "${id}": CRIU reported success without the restored init's pid`);
        record.pidStartTime = readProcStat(record.pid)?.startTime;
        terminal?.requireReceived();
      } finally {
        await criuRpc.close();
      }
    } finally {
      if (imagesDirFd !== undefined) closeSync(imagesDirFd);
      if (workDirFd !== undefined) closeSync(workDirFd);
      for (const ns of nsFds) closeSync(ns.fd);
      if (mounted) execFileSync('umount', ['-l', root], { stdio: 'ignore' });
      if (existsSync(root)) rmdirSync(root);
    }
    record.phase = 'created';
    store.write(record);
    if (target.pidFile) writeFileAtomic(target.pidFile, String(record.pid));
    log().debug(`container ${id} restored from ${opts.imagesDir}, init pid ${record.pid}`);
  } catch (err) {
    if (record.cgroupPaths) await driver.open(record.cgroupPaths).destroy();
    store.remove(id);
    await runHooksWarning('poststop', spec.hooks?.poststop, hookState(spec, id, bundle, 'stopped'));
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * A foreground restore, as runc's: rst_sibling made the init keel's child, which keel waits for
 * as `run` does (signals passed on, the terminal relayed when keel holds its master), then deletes
 * the container and leaves with its exit status.
 */
async function waitRestored(store: StateStore, id: string, spec: Spec, master: number | undefined): Promise<number> {
  const pid = store.read(id).pid!;
  const { exitCodeOf, waitForegroundProcess } = await import('./run.js');
  try {
    const status =
      master === undefined
        ? await waitForegroundProcess(pid)
        : await (await import('./terminal-relay.js')).relayTerminal(master, () => waitForegroundProcess(pid, undefined, { relayingTerminal: true }), {
            consoleSize: spec.process?.consoleSize,
          });
    return exitCodeOf(status);
  } finally {
    await deleteContainer(store, id, true);
  }
}

/** The mount points CRIU will mount onto (a fresh rootfs has none of them); what exists is left alone. */
async function makeMountpoints(id: string, mounts: Mount[], bundle: string, rootfs: string): Promise<void> {
  const points = restoreMountpoints(mounts, bundle, rootfs, kindOf);
  if (!points.length) return;
  const { NativeError, makeMountpoint } = await import('../native/libkeel.js');
  for (const p of points) {
    try {
      makeMountpoint(p.root, p.path, p.asFile);
    } catch (err) {
      if (!(err instanceof NativeError)) throw err;
      throw new KeelError(`cannot restore container "${id}": cannot make the mount point of ${p.destination} (${p.path} in ${p.root}): ${strerror(err.errno)}`);
    }
  }
}

function kindOf(path: string): 'file' | 'dir' | undefined {
  try {
    return statSync(path).isDirectory() ? 'dir' : 'file';
  } catch {
    return undefined;
  }
}

function readDescriptors(imagesDir: string): string[] {
  const path = join(imagesDir, DESCRIPTORS_FILE);
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.every((d) => typeof d === 'string')) return parsed as string[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw fsError('cannot read the checkpoint\'s stdio record', path, err);
  }
  throw new KeelError(`${path}: not a list of the init's stdio targets, as keel checkpoint (and runc) write it`);
}
