/**
 * `keel create`: from a bundle to a container init that waits for `keel start`.
 *
 * Order matters for cleanup: the id is claimed (state dir) and locked first, so that everything
 * made afterwards can be undone by removing what the state dir records. Any failure kills the
 * init, undoes the cgroups and removes the state dir, leaving the host as it was. A keel killed
 * half-way leaves a record that `delete` can undo: the init's pid is written as soon as it is
 * known, and the init exits by itself unless keel tells it (MSG_COMMIT) that state.json is final.
 */
import { closeSync, constants, openSync, realpathSync, statSync, writeFileSync } from 'node:fs';

import { resolve } from 'node:path';

import { readHostFacts } from '../host/facts.js';
import { compilePlan } from '../plan/compile.js';
import { SyncTag } from '../plan/ops.js';
import { loadBundle } from '../spec/load.js';
import type { Spec } from '../spec/types.js';
import { readProcStat } from '../state/proc.js';
import type { StateRecord } from '../state/record.js';
import { StateStore, validateId } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { log } from '../util/log.js';
import { testStopPoint } from '../util/test-stop-point.js';
import { InitSession } from './init-session.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
}

export const OCI_VERSION = '1.3.0';

export async function createContainer(store: StateStore, opts: CreateOptions): Promise<StateRecord> {
  validateId(opts.id);
  const { bundle, spec, rootfs } = loadBundle(opts.bundle);
  log().debug(`loaded and validated ${bundle}/config.json`);
  if (spec.process?.terminal && !opts.consoleSocket) {
    throw new KeelError('process.terminal is true but no --console-socket was given: keel cannot create a terminal for a detached container without one (set "terminal": false, or pass --console-socket)');
  }
  if (spec.process?.terminal) {
    throw new KeelError('process.terminal is not supported by this keel yet: set "terminal": false in config.json');
  }

  refuseSymlinkedRootfs(bundle, spec.root!.path);
  refuseHostMountNamespace(spec);
  const fifoFd = 3 + opts.preserveFds + 1;
  // Compiled before anything exists on the host: a config keel cannot carry out leaves no trace.
  const plan = compilePlan({ spec, bundle, rootfs, host: readHostFacts(rootfs), fifoFd, preserveFds: opts.preserveFds });
  for (const warning of plan.warnings) log().warn(warning);
  for (const note of plan.notes) log().debug(note);
  log().debug(`compiled a plan of ${plan.ops.length} ops`);

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
  const lock = await store.claim(record);
  testStopPoint('claimed');
  let session: InitSession | undefined;
  try {
    const { mkfifo } = await import('../native/libkeel.js');
    mkfifo(store.fifoPath(opts.id), 0o622);
    // Opened read-write so that neither side blocks in open(); keel-init reads from it in WAIT_START.
    // (Node opens every fd close-on-exec; keel_spawn places this one for keel-init explicitly.)
    const fifo = openSync(store.fifoPath(opts.id), constants.O_RDWR);
    try {
      session = InitSession.start(plan.ops, [fifo], opts.preserveFds);
    } finally {
      closeSync(fifo);
    }
    testStopPoint('spawned');
    const pid = await session.untilReady({
      onSync: (tag, pid) => handleSync(tag, pid, spec),
      onInitPid: (pid) => {
        // Recorded at once, so that `delete` can find and kill it should this keel die from here on.
        record.pid = pid;
        record.pidStartTime = readProcStat(pid)?.startTime;
        store.write(record);
        testStopPoint('init-pid');
      },
    });
    testStopPoint('ready');

    record.phase = 'created';
    store.write(record);
    testStopPoint('state-written');
    if (opts.pidFile) writeFileAtomic(opts.pidFile, String(pid));
    testStopPoint('pid-file');
    session.commit();
    log().debug(`container ${opts.id} created, init pid ${pid}`);
    return record;
  } catch (err) {
    session?.abort();
    store.remove(opts.id);
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * Like runc, keel refuses a root filesystem that root.path reaches through a symlink (a bundle
 * directory reached through one is fine): what is checked must be what is mounted, and a bundle
 * must not point the container at some other part of the host.
 */
function refuseSymlinkedRootfs(bundle: string, rootPath: string): void {
  const named = resolve(realpathSync(bundle), rootPath);
  const real = realpathSync(named);
  if (real !== named) {
    throw new KeelError(`root filesystem "${named}" is a symlink (to "${real}"), or has one in its path: give the real path in config.json: /root/path`);
  }
}

/**
 * A mount namespace joined by path that is keel's own would make keel-init pivot the host's root
 * and mount over it. No engine means that; a generator bug can write it. (runc does not check.)
 */
function refuseHostMountNamespace(spec: Spec): void {
  const path = spec.linux?.namespaces?.find((ns) => ns.type === 'mount')?.path;
  if (!path) return;
  let joined, own;
  try {
    joined = statSync(path);
    own = statSync('/proc/self/ns/mnt');
  } catch {
    return; // keel-init reports a path it cannot open, naming the namespace.
  }
  if (joined.ino === own.ino && joined.dev === own.dev) {
    throw new KeelError(`config.json: /linux/namespaces: the mount namespace "${path}" is the host's own: the container would change the host's mounts (remove its "path" to give it a new one)`);
  }
}

function handleSync(tag: SyncTag, pid: number, spec: Spec): void {
  switch (tag) {
    case SyncTag.CGROUP:
      // Cgroup placement and limits come with the cgroup manager (src/cgroups/).
      testStopPoint('sync-cgroup');
      return;
    case SyncTag.ID_MAPS:
      writeIdMappings(pid, spec);
      testStopPoint('sync-id-maps');
      return;
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
