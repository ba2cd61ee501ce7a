/**
 * `keel create`: from a bundle to a container init that waits for `keel start`.
 *
 * Order matters for cleanup: the id is claimed (state dir) and locked first, so that everything
 * made afterwards can be undone by removing what the state dir records. Any failure kills the
 * init, undoes the cgroups and removes the state dir, leaving the host as it was. A keel killed
 * half-way leaves a record that `delete` can undo: the init's pid is written as soon as it is
 * known, and the init exits by itself unless keel tells it (MSG_COMMIT) that state.json is final.
 */
import { chmodSync, closeSync, constants, openSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

import { warmCgroupAttach } from '../cgroups/attach-warmup.js';
import type { CgroupDriver, NewContainerCgroup } from '../cgroups/driver.js';
import { selectCgroupDriver } from '../cgroups/select-driver.js';
import { runHooksOrThrow, runHooksWarning } from '../hooks/run.js';
import { hookState } from '../hooks/state.js';
import { containerProcessState, sendToAgent } from '../seccomp/agent.js';
import { readHostFacts } from '../host/facts.js';
import { isKeelNamespace } from '../host/namespaces.js';
import { passwdHome } from '../host/passwd.js';
import { attachDeviceProgram } from '../native/libkeel.js';
import { compilePlan } from '../plan/compile.js';
import { SyncTag } from '../plan/ops.js';
import { loadBundle } from '../spec/load.js';
import { ConfigError, throwProblemIn } from '../spec/problem.js';
import type { Spec } from '../spec/types.js';
import { readProcStat } from '../util/proc.js';
import { creatingRecord } from '../state/new-record.js';
import type { StateRecord } from '../state/record.js';
import { StateStore, validateId } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { log } from '../util/log.js';
import { testStopPoint } from '../util/test-stop-point.js';
import { dropConsoleSocket, openConsoleSocket, takeMaster, type ConsoleSocket } from './console.js';
import { checkCallerFds } from './caller-fds.js';
import { planIdMaps, writeIdMaps, type IdMapPlan } from './id-maps.js';
import { InitSession } from './init-session.js';
import { applyResctrl, removeResctrl } from './resctrl.js';
import { planResctrl } from '../plan/intel-rdt.js';
import { activationFds, withActivationEnv } from './socket-activation.js';

/** The exec fifo's mode: read and written by its owner (keel) alone. */
const EXEC_FIFO_MODE = 0o600;

export interface CreateOptions {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  preserveFds: number;
  systemdCgroup?: boolean;
  /** The setting systemdCgroup came from when not --systemd-cgroup (the shim's), for its refusal. */
  systemdCgroupSetting?: string;
  /** Rootless (--rootless, runc's auto rule): id maps within the user's, cgroups only where delegated. */
  rootless?: boolean;
  /** --no-new-keyring: the container keeps the caller's session keyring (as runc's flag). */
  noNewKeyring?: boolean;
  /** keel waits for the container in the foreground (`run`) and relays a terminal itself when no --console-socket is given. */
  relayTerminal?: boolean;
  /** The container's stdin, stdout and stderr, when not keel's own (the shim's fifos). */
  stdio?: readonly [number, number, number];
}

export interface CreatedContainer {
  record: StateRecord;
  /** The pty master, when keel relays the container's terminal itself (see relayTerminal). */
  master?: number;
  /**
   * For a foreground run (relayTerminal): once the process has exited, what keel-init reported
   * failing after `start`, in keel's words; keel-init then leaves the container's stderr alone.
   */
  lateFailure?: () => string | undefined;
}

export async function createContainer(store: StateStore, opts: CreateOptions): Promise<CreatedContainer> {
  validateId(opts.id);
  const { bundle, spec, rootfs } = loadBundle(opts.bundle);
  log().debug(`loaded and validated ${bundle}/config.json`);
  if (spec.process?.terminal && !opts.consoleSocket && !opts.relayTerminal) {
    throw new KeelError('process.terminal is true but no --console-socket was given: keel passes the terminal to whoever listens there (set "terminal": false, or pass --console-socket)');
  }

  const cgroupDriver = selectCgroupDriver({ systemdCgroup: opts.systemdCgroup, systemdCgroupSetting: opts.systemdCgroupSetting, rootless: opts.rootless });
  const cgroup = cgroupDriver.place(spec, opts.id);
  // Socket activation: keel's listening fds come first (3..), then the --preserve-fds ones.
  const listening = activationFds(process.env, process.pid);
  if (listening) log().debug(`socket activation: passing ${listening} listening fds (LISTEN_FDS) to the container`);
  checkCallerFds({ listening, preserved: opts.preserveFds });
  const preserveFds = listening + opts.preserveFds;
  // The plan's copy of the spec carries LISTEN_FDS/LISTEN_PID; state.json keeps the bundle's own.
  const planSpec = listening && spec.process ? { ...spec, process: withActivationEnv(spec.process, listening) } : spec;

  refuseSymlinkedRootfs(bundle, spec.root!.path);
  refuseHostMountNamespace(spec);
  // Compiled before anything exists on the host: a config keel cannot carry out leaves no trace.
  // HOME comes from the rootfs's /etc/passwd as it is before the config's mounts (runc reads it
  // after them: a config that mounts its own /etc/passwd may differ; engines that do also set HOME).
  const host = { ...readHostFacts(rootfs, cgroupDriver.layout), homeOf: (uid: number) => passwdHome(rootfs, uid) };
  const plan = compilePlan({
    id: opts.id,
    spec: planSpec,
    bundle,
    rootfs,
    cgroupPath: cgroup.path,
    cgroupMountPaths: cgroup.mountPaths,
    host,
    // keel-init's own fds, above the container's: the sync socket, the exec fifo, the console socket.
    fifoFd: 3 + preserveFds + 1,
    consoleFd: spec.process?.terminal ? 3 + preserveFds + 2 : undefined,
    preserveFds,
    noNewKeyring: opts.noNewKeyring,
    report: throwProblemIn(`${bundle}/config.json`),
  });
  const [unsupported] = cgroupDriver.unsupportedLimits(spec.linux?.resources ?? {}, cgroup.path);
  if (unsupported) throw new ConfigError(unsupported.path, unsupported.message);
  const idMaps = planIdMaps(spec);
  for (const warning of plan.warnings) log().warn(warning);
  for (const note of plan.notes) log().debug(note);
  log().debug(`compiled a plan of ${plan.ops.length} ops`);

  const record = creatingRecord(
    { id: opts.id, bundle, rootfs, spec, cgroupDriver: cgroupDriver.name },
    { ...(opts.noNewKeyring ? { noNewKeyring: true } : {}), ...(opts.rootless ? { rootless: true } : {}) },
  );
  const lock = await store.claim(record);
  testStopPoint('claimed');
  let session: InitSession | undefined;
  let consoleSock: ConsoleSocket | undefined;
  let master: number | undefined;
  try {
    const { mkfifo } = await import('../native/libkeel.js');
    // 0600 whatever the umask: `keel start` opens it by path to write the byte that starts the
    // program, so whoever may write to it may start the container (runc's 0622 is for the reverse
    // direction, its init writing; docs/differences-from-runc.md). Made 0600, which a umask can
    // only narrow, then set to 0600: never wider in between.
    mkfifo(store.fifoPath(opts.id), EXEC_FIFO_MODE);
    chmodSync(store.fifoPath(opts.id), EXEC_FIFO_MODE);
    // Opened read-write so that neither side blocks in open(); keel-init reads from it in WAIT_START.
    // (Node opens every fd close-on-exec; keel_spawn places this one for keel-init explicitly.)
    const fifo = openSync(store.fifoPath(opts.id), constants.O_RDWR);
    const extraFds = [fifo];
    if (spec.process?.terminal) {
      consoleSock = await openConsoleSocket(opts.consoleSocket);
      extraFds.push(consoleSock.initFd);
    }
    // keel started this at its beginning (entry.ts); on a slow or busy host that head start has run
    // out by now, and this one still comes some ms before keel-init asks to be moved.
    warmCgroupAttach();
    try {
      session = InitSession.start(plan.ops, extraFds, preserveFds, opts.stdio);
    } finally {
      for (const fd of extraFds) closeSync(fd);
    }
    testStopPoint('spawned');
    const pid = await session.untilReady({
      onSync: (tag, pid) => (tag === SyncTag.CGROUP ? joinCgroups(record, store, cgroupDriver, cgroup, pid) : handleSync(tag, pid, spec, idMaps, opts.id, bundle)),
      onSeccompFd: (fd, pid) => sendToAgent(spec.linux?.seccomp, fd, containerProcessState(spec, opts.id, bundle, 'creating', pid, pid)),
      onInitPid: (pid) => {
        // Recorded at once, so that `delete` can find and kill it should this keel die from here on.
        record.pid = pid;
        record.pidStartTime = readProcStat(pid)?.startTime;
        store.write(record);
        testStopPoint('init-pid');
      },
    });
    testStopPoint('ready');
    // keel-init has sent the master by now (the console op comes before waiting for start).
    master = await takeMaster(consoleSock);

    record.phase = 'created';
    store.write(record);
    testStopPoint('state-written');
    if (opts.pidFile) writeFileAtomic(opts.pidFile, String(pid));
    testStopPoint('pid-file');
    log().debug(`container ${opts.id} created, init pid ${pid}`);
    if (!opts.relayTerminal) {
      session.commit();
      return { record, master };
    }
    session.commitAndListen();
    const listening = session;
    return { record, master, lateFailure: () => listening.lateFailure() };
  } catch (err) {
    dropConsoleSocket(consoleSock);
    if (master !== undefined) closeSync(master);
    session?.abort();
    // What the record names, made or about to be; nothing when the failure came before the cgroup sync point.
    if (record.cgroupPaths) await cgroupDriver.open(record.cgroupPaths).destroy();
    removeResctrl(record.resctrl);
    store.remove(opts.id);
    // runtime.md: a failing prestart, createRuntime or createContainer hook stops the container and
    // the lifecycle goes on at its destruction, then the poststop hooks. runc runs them after any
    // failed create (they undo what the earlier hooks set up, a network for one); so does keel.
    await runHooksWarning('poststop', spec.hooks?.poststop, hookState(spec, opts.id, bundle, 'stopped'));
    throw err;
  } finally {
    lock.release();
  }
}

/**
 * The first keel-init waits while keel makes the container's cgroups and moves it in, so that
 * every process of the container, and the cgroup namespace it creates next, start inside them.
 */
async function joinCgroups(record: StateRecord, store: StateStore, driver: CgroupDriver, cgroup: NewContainerCgroup, pid: number): Promise<void> {
  // Recorded before they are made: a keel killed in between leaves directories delete can find.
  record.cgroupPaths = [...cgroup.dirs];
  store.write(record);
  let setup;
  try {
    setup = await cgroup.create(pid, attachDeviceProgram);
  } catch (err) {
    // create() has undone what it made; what stood there before (another container's systemd
    // unit) is not this container's to remove.
    delete record.cgroupPaths;
    store.write(record);
    throw err;
  }
  log().debug(
    setup.dirs.length
      ? `joined cgroup ${cgroup.path} (${driver.name}, ${driver.describe()}), ${setup.writes.length} limits written`
      : `no cgroup of its own (${driver.name}, ${driver.describe()}: none the user may make); the init stays in keel's`,
  );
  const rdt = record.config.linux?.intelRdt;
  if (rdt) {
    // With the cgroups, before any process of the container runs: the init joins its resctrl group.
    const plan = planResctrl(rdt, record.id);
    applyResctrl(plan, pid, record.id);
    record.resctrl = plan;
    store.write(record);
  }
  testStopPoint('sync-cgroup');
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
  if (path && isKeelNamespace('mount', path)) {
    throw new ConfigError('/linux/namespaces', `the mount namespace "${path}" is the host's own: the container would change the host's mounts (remove its "path" to give it a new one)`);
  }
}

async function handleSync(tag: SyncTag, pid: number, spec: Spec, idMaps: IdMapPlan, id: string, bundle: string): Promise<void> {
  switch (tag) {
    case SyncTag.ID_MAPS:
      writeIdMaps(pid, idMaps);
      testStopPoint('sync-id-maps');
      return;
    case SyncTag.CREATE_RUNTIME_HOOKS: {
      // The namespaces exist and the mounts are made; the root is not pivoted yet.
      const state = hookState(spec, id, bundle, 'creating', pid);
      await runHooksOrThrow('prestart', spec.hooks?.prestart, state);
      await runHooksOrThrow('createRuntime', spec.hooks?.createRuntime, state);
      return;
    }
    default:
      throw new KeelError(`keel-init waited at an unknown sync point (${tag})`);
  }
}
