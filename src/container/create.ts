/**
 * `keel create`: from a bundle to a container init that waits for `keel start`.
 *
 * Order matters for cleanup: the id is claimed (state dir) and locked first, so that everything
 * made afterwards can be undone by removing what the state dir records. Any failure kills the
 * init, undoes the cgroups and removes the state dir, leaving the host as it was.
 */
import { closeSync, constants, existsSync, openSync, writeFileSync } from 'node:fs';

import type { CgroupLayout } from '../cgroups/layout.js';
import { containerCgroupPath, destroyCgroups, setupCgroups } from '../cgroups/manager.js';
import { hookState, runHooks } from '../hooks/run.js';
import { readHostFacts } from '../host/facts.js';
import { compilePlan } from '../plan/compile.js';
import { SyncTag } from '../plan/ops.js';
import { loadBundle } from '../spec/load.js';
import type { Spec } from '../spec/types.js';
import { readProcStat } from '../state/proc.js';
import type { StateRecord } from '../state/record.js';
import { ContainerLock, StateStore, validateId } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { log } from '../util/log.js';
import { InitSession } from './init-session.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  systemdCgroup?: boolean;
}

export const OCI_VERSION = '1.3.0';

export async function createContainer(store: StateStore, opts: CreateOptions): Promise<StateRecord> {
  validateId(opts.id);
  const { bundle, spec, rootfs } = loadBundle(opts.bundle);
  log().debug(`loaded and validated ${bundle}/config.json`);
  if (spec.process?.terminal && !opts.consoleSocket) {
    throw new KeelError('process.terminal is true but no --console-socket was given: keel passes the terminal to whoever listens there (set "terminal": false, or pass --console-socket)');
  }

  if (opts.systemdCgroup) {
    throw new KeelError(
      existsSync('/run/systemd/system')
        ? '--systemd-cgroup: keel does not manage cgroups through systemd yet; run without --systemd-cgroup to manage them directly'
        : '--systemd-cgroup: systemd is not running on this host (no /run/systemd/system); run without --systemd-cgroup to manage cgroups directly',
    );
  }
  const cgroupPath = containerCgroupPath(spec.linux?.cgroupsPath, opts.id);

  store.claim(opts.id);
  const lock = await ContainerLock.acquire(store, opts.id);
  const self = readProcStat(process.pid)!;
  const record: StateRecord = {
    ociVersion: OCI_VERSION,
    id: opts.id,
    creatorPid: process.pid,
    creatorStartTime: self.startTime,
    phase: 'creating',
    bundle,
    rootfs,
    created: new Date().toISOString(),
    owner: '',
    annotations: spec.annotations,
    config: spec,
  };
  let session: InitSession | undefined;
  try {
    store.write(record);
    const { connectUnix, mkfifo } = await import('../native/libkeel.js');
    mkfifo(store.fifoPath(opts.id), 0o622);
    // Opened read-write so that neither side blocks in open(); keel-init reads from it in WAIT_START.
    // (Node opens every fd close-on-exec; keel_spawn places this one for keel-init explicitly.)
    const fifo = openSync(store.fifoPath(opts.id), constants.O_RDWR);
    const extraFds = [fifo];
    if (spec.process?.terminal) extraFds.push(connectUnix(opts.consoleSocket!));
    const host = readHostFacts(rootfs);
    const plan = compilePlan({
      id: opts.id,
      spec,
      bundle,
      rootfs,
      cgroupPath,
      host,
      fifoFd: 3 + opts.preserveFds + 1,
      consoleFd: spec.process?.terminal ? 3 + opts.preserveFds + 2 : undefined,
      preserveFds: opts.preserveFds,
      report: (path, message) => {
        throw new KeelError(`${bundle}/config.json: ${path}: ${message}`);
      },
    });
    for (const warning of plan.warnings) log().warn(warning);
    for (const note of plan.notes) log().debug(note);
    log().debug(`compiled a plan of ${plan.ops.length} ops`);

    try {
      session = InitSession.start(plan.ops, extraFds, opts.preserveFds);
    } finally {
      for (const fd of extraFds) closeSync(fd);
    }
    const pid = await session.untilReady({
      onSync: (tag, pid) => {
        if (tag === SyncTag.CGROUP) joinCgroups(record, host.cgroups, cgroupPath, pid);
        else handleSync(tag, pid, spec, opts.id, bundle);
      },
    });
    session.close();

    record.pid = pid;
    record.pidStartTime = readProcStat(pid)?.startTime;
    record.phase = 'created';
    store.write(record);
    if (opts.pidFile) writeFileAtomic(opts.pidFile, String(pid));
    log().debug(`container ${opts.id} created, init pid ${pid}`);
    return record;
  } catch (err) {
    session?.abort();
    destroyCgroups(record.cgroupPaths ?? []);
    store.remove(opts.id);
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * The first keel-init waits while keel makes the container's cgroups and moves it in, so that
 * every process of the container, and the cgroup namespace it creates next, start inside them.
 */
function joinCgroups(record: StateRecord, layout: CgroupLayout, path: string, pid: number): void {
  const spec = record.config;
  // Devices the config creates may be used, as with runc.
  const created = (spec.linux?.devices ?? []).map((d) => ({ allow: true, type: d.type === 'b' ? ('b' as const) : ('c' as const), major: d.major, minor: d.minor, access: 'rwm' }));
  const setup = setupCgroups(layout, path, spec.linux?.resources ?? {}, pid, created);
  record.cgroupPaths = setup.dirs;
  log().debug(`joined cgroup ${path} (${layout.mode}), ${setup.writes.length} limits written`);
}

function handleSync(tag: SyncTag, pid: number, spec: Spec, id: string, bundle: string): void {
  switch (tag) {
    case SyncTag.ID_MAPS:
      writeIdMappings(pid, spec);
      return;
    case SyncTag.CREATE_RUNTIME_HOOKS: {
      // The namespaces exist and the mounts are made; the root is not pivoted yet.
      const state = hookState(spec, id, bundle, 'creating', pid);
      runHooks('prestart', spec.hooks?.prestart, state);
      runHooks('createRuntime', spec.hooks?.createRuntime, state);
      return;
    }
    default:
      throw new KeelError(`keel-init waited at an unknown sync point (${tag})`);
  }
}

/** As root, keel writes the mappings itself; no newuidmap helper is needed. */
function writeIdMappings(pid: number, spec: Spec): void {
  const format = (maps: { containerID: number; hostID: number; size: number }[] = []) =>
    maps.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
  writeFileSync(`/proc/${pid}/uid_map`, format(spec.linux?.uidMappings));
  writeFileSync(`/proc/${pid}/gid_map`, format(spec.linux?.gidMappings));
  log().debug(`wrote uid and gid mappings for ${pid}`);
}
