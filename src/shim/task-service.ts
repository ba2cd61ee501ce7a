/**
 * containerd.task.v2.Task, in-process: every method calls keel's own modules (create, start,
 * exec, kill, delete, pause, update, the state store), the same code as the CLI's, on the same
 * state directory, so `keel --root <root> list` sees the shim's containers. The shim keeps what
 * only it knows: each process's stdio, its exit, and who waits for it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { managedCgroupOf } from '../cgroups/select-driver.js';
import { collectStats, oomKillCount, type StatsSource } from '../cgroups/stats.js';
import { containerPids, updateContainer } from '../container/cgroup-verbs.js';
import { createContainer } from '../container/create.js';
import { deleteContainer } from '../container/delete.js';
import { startExecProcess } from '../container/exec.js';
import { killContainer } from '../container/kill.js';
import { setPaused } from '../container/pause.js';
import { exitCodeOf } from '../container/run.js';
import { startContainer } from '../container/start.js';
import { setWindowSize } from '../native/libkeel.js';
import type { LinuxResources, Process } from '../spec/types.js';
import { NoSuchContainer, StateStore } from '../state/store.js';
import { log } from '../util/log.js';
import * as M from './messages.js';
import { ProcessIo, type StdioPaths } from './process-io.js';
import { unsupportedRuncOptions } from './runc-options.js';
import { readShimConfig, shimConfigPathOf } from './shim-config.js';
import { METRICS_V1_TYPE_URL, METRICS_V2_TYPE_URL, metricsV1, MetricsV1, metricsV2, MetricsV2 } from './metrics.js';
import { decode, encode, type Message, type Schema } from '../protobuf/proto3.js';
import type { Publisher } from './publisher.js';
import type { Exit, Reaper } from './reaper.js';
import { mountRootfs, unmountRootfs, type RootMount } from './rootfs.js';
import { Code, RpcError, type TtrpcServer } from './ttrpc.js';

const SERVICE = 'containerd.task.v2.Task';
/** Where the shim keeps containers unless the create options name a root: one per namespace, as runc's shim. */
export const DEFAULT_ROOT = '/run/containerd/keel';
/**
 * How often the shim looks at a running container's OOM kill count (v1 memory.oom_control, v2
 * memory.events) for TaskOOM: a file read per container, and once more when its init exits.
 */
const OOM_POLL_MS = 500;
/** Written in the bundle at create, for the `delete` subcommand when the shim is gone. */
export const BUNDLE_STATE_FILE = 'keel-shim.json';

interface ShimProcess {
  execId: string;
  /** 0 until an exec'd process has started. */
  pid: number;
  paths: StdioPaths;
  /** Its stdio, once started. */
  io?: ProcessIo;
  /** An exec'd process not started yet: what it is to run. */
  pending?: Process;
  exit?: { status: number; at: number };
  exited: Promise<void>;
  markExited: () => void;
  /** Start was asked for: from then on TaskExit waits for TaskStart / TaskExecStarted. */
  startRequested: boolean;
  /** TaskStart / TaskExecStarted went out: TaskExit may follow. */
  startPublished: boolean;
  pendingExit?: Exit;
}

interface Task {
  id: string;
  bundle: string;
  store: StateStore;
  rootfsMounted: boolean;
  init: ShimProcess;
  execs: Map<string, ShimProcess>;
  lateFailure?: () => string | undefined;
  oomWatch?: { source: StatsSource; seen: bigint; timer: NodeJS.Timeout };
}

export interface ServiceOptions {
  namespace: string;
  publisher: Publisher;
  reaper: Reaper;
  /** Called when Shutdown leaves nothing to serve. */
  /** Shutdown came and no container is served (or `now` asked to end regardless). */
  onShutdown: (now: boolean) => void;
}

/** keel's errors as gRPC codes containerd understands. */
function rpcErrorOf(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof NoSuchContainer) return new RpcError(Code.NOT_FOUND, err.message);
  const message = err instanceof Error ? err.message : String(err);
  // runc's shim turns "container not running" into NotFound, which containerd treats as "already exited".
  if (/container not running|process already finished/.test(message)) return new RpcError(Code.NOT_FOUND, message);
  return new RpcError(Code.UNKNOWN, message);
}

function newProcess(execId: string, pid: number, paths: StdioPaths, io?: ProcessIo): ShimProcess {
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  return { execId, pid, paths, io, exited, markExited, startRequested: false, startPublished: false };
}

function pathsOf(r: Message): StdioPaths {
  return { stdin: r.stdin as string, stdout: r.stdout as string, stderr: r.stderr as string, terminal: r.terminal as boolean };
}

/** An Any holding JSON (containerd's typeurl for runtime-spec types): its value parsed. */
function jsonOf<T>(any: Message | undefined, what: string): T {
  if (!any) throw new RpcError(Code.INVALID_ARGUMENT, `${what} is missing`);
  try {
    return JSON.parse((any.value as Buffer).toString('utf8')) as T;
  } catch (err) {
    throw new RpcError(Code.INVALID_ARGUMENT, `${what} (${String(any.typeUrl)}) is not JSON: ${(err as Error).message}`);
  }
}

export class TaskService {
  private readonly tasks = new Map<string, Task>();
  /** Creates under way: their containers count as served before they are in tasks. */
  private creating = 0;

  constructor(private readonly opts: ServiceOptions) {}

  get taskCount(): number {
    return this.tasks.size + this.creating;
  }

  register(server: TtrpcServer): void {
    const method = (name: string, req: Schema, res: Schema, fn: (req: Message) => Promise<Message> | Message) =>
      server.register(SERVICE, name, req, res, async (r) => {
        try {
          return await fn(r);
        } catch (err) {
          const rpc = rpcErrorOf(err);
          log().debug(`${name} failed: ${rpc.message}`);
          throw rpc;
        }
      });
    method('Create', M.CreateTaskRequest, M.CreateTaskResponse, (r) => this.whileCreating(() => this.create(r)));
    method('Start', M.StartRequest, M.StartResponse, (r) => this.start(r));
    method('Delete', M.DeleteRequest, M.DeleteResponse, (r) => this.delete(r));
    method('Exec', M.ExecProcessRequest, M.Empty, (r) => this.exec(r));
    method('ResizePty', M.ResizePtyRequest, M.Empty, (r) => this.resizePty(r));
    method('State', M.StateRequest, M.StateResponse, (r) => this.state(r));
    method('Pids', M.PidsRequest, M.PidsResponse, (r) => this.pids(r));
    method('Pause', M.PauseRequest, M.Empty, (r) => this.pause(r, true));
    method('Resume', M.ResumeRequest, M.Empty, (r) => this.pause(r, false));
    method('Checkpoint', M.CheckpointTaskRequest, M.Empty, () => {
      throw new RpcError(Code.UNIMPLEMENTED, "keel's containerd shim does not checkpoint yet (the keel CLI's checkpoint and restore do): the container keeps running");
    });
    method('Kill', M.KillRequest, M.Empty, (r) => this.kill(r));
    method('CloseIO', M.CloseIORequest, M.Empty, (r) => this.closeIo(r));
    method('Update', M.UpdateTaskRequest, M.Empty, (r) => this.update(r));
    method('Wait', M.WaitRequest, M.WaitResponse, (r) => this.wait(r));
    method('Stats', M.StatsRequest, M.StatsResponse, (r) => this.stats(r));
    method('Connect', M.ConnectRequest, M.ConnectResponse, (r) => this.connect(r));
    method('Shutdown', M.ShutdownRequest, M.Empty, (r) => this.shutdown(r));
  }

  private task(id: string): Task {
    const task = this.tasks.get(id);
    if (!task) throw new RpcError(Code.NOT_FOUND, `container "${id}": not found in this shim`);
    return task;
  }

  private process(task: Task, execId: string): ShimProcess {
    if (!execId) return task.init;
    const proc = task.execs.get(execId);
    if (!proc) throw new RpcError(Code.NOT_FOUND, `process "${execId}" of container "${task.id}": not found`);
    return proc;
  }

  /** A Shutdown for another container while this Create runs must not end the shim. */
  private async whileCreating<T>(create: () => Promise<T>): Promise<T> {
    this.creating++;
    try {
      return await create();
    } finally {
      this.creating--;
    }
  }

  private async create(r: Message): Promise<Message> {
    const id = r.id as string;
    const bundle = r.bundle as string;
    if (this.tasks.has(id)) throw new RpcError(Code.ALREADY_EXISTS, `container "${id}" already exists in this shim`);
    if (r.checkpoint) throw new RpcError(Code.UNIMPLEMENTED, "keel's containerd shim does not restore a checkpoint yet (the keel CLI's restore does)");
    const options = r.options && (r.options as Message).typeUrl === 'containerd.runc.v1.Options' ? decode(M.RuncOptions, (r.options as Message).value as Buffer) : undefined;
    const unsupported = unsupportedRuncOptions(options);
    if (unsupported.length) throw new RpcError(Code.INVALID_ARGUMENT, `runc's option ${unsupported.join(', ')} is not supported by keel's containerd shim: leave it unset`);
    const systemd = systemdCgroupOf(r.options as Message | undefined, options);
    const root = join((options?.root as string) || DEFAULT_ROOT, this.opts.namespace);
    writeFileSync(join(bundle, BUNDLE_STATE_FILE), JSON.stringify({ root }));
    const store = new StateStore(root);
    const rootfs = r.rootfs as RootMount[];
    if (rootfs.length) mountRootfs(bundle, rootfs);
    const paths = pathsOf(r);
    let io: ProcessIo | undefined;
    try {
      io = await ProcessIo.open(paths, id, this.opts.namespace);
      const created = await createContainer(store, {
        id,
        bundle,
        preserveFds: 0,
        systemdCgroup: systemd.on,
        systemdCgroupSetting: systemd.setting,
        noNewKeyring: options?.noNewKeyring as boolean | undefined,
        relayTerminal: paths.terminal,
        stdio: io.stdio,
      });
      io.handedOver();
      if (created.master !== undefined) io.relay(created.master);
      const pid = created.record.pid!;
      const task: Task = { id, bundle, store, rootfsMounted: rootfs.length > 0, init: newProcess('', pid, paths, io), execs: new Map(), lateFailure: created.lateFailure };
      this.tasks.set(id, task);
      this.opts.reaper.watch(pid, (exit) => this.onExit(task, task.init, exit));
      this.opts.publisher.publish('TaskCreate', { containerId: id, bundle, rootfs, io: paths, pid });
      return { pid };
    } catch (err) {
      io?.abandon();
      if (rootfs.length) unmountRootfs(bundle);
      throw err;
    }
  }

  private async start(r: Message): Promise<Message> {
    const task = this.task(r.id as string);
    const execId = r.execId as string;
    if (!execId) {
      task.init.startRequested = true;
      try {
        await startContainer(task.store, task.id);
      } catch (err) {
        // Never started: an exit (or one that comes) is reported as that of a created task.
        task.init.startRequested = false;
        const exit = task.init.pendingExit;
        task.init.pendingExit = undefined;
        if (exit) void this.finishExit(task, task.init, exit);
        throw err;
      }
      this.opts.publisher.publish('TaskStart', { containerId: task.id, pid: task.init.pid });
      this.watchOom(task);
      this.startPublished(task, task.init);
      return { pid: task.init.pid };
    }
    const proc = this.process(task, execId);
    const spec = proc.pending;
    if (!spec) throw new RpcError(Code.FAILED_PRECONDITION, `process "${execId}" of container "${task.id}" has already been started`);
    // Taken before the first await: a second Start of the same exec that comes meanwhile is refused.
    proc.pending = undefined;
    const paths = proc.paths;
    let io: ProcessIo;
    try {
      io = await ProcessIo.open(paths, execId, this.opts.namespace);
    } catch (err) {
      proc.pending = spec;
      throw err;
    }
    proc.startRequested = true;
    let started;
    try {
      started = await startExecProcess(task.store, {
        id: task.id,
        process: { ...spec, terminal: paths.terminal },
        args: [],
        env: [],
        additionalGids: [],
        caps: [],
        noNewPrivs: false,
        tty: paths.terminal,
        detach: true,
        preserveFds: 0,
        ignorePaused: false,
        cgroups: [],
        stdio: io.stdio,
      });
    } catch (err) {
      io.abandon();
      proc.pending = spec;
      throw err;
    }
    io.handedOver();
    if (started.master !== undefined) io.relay(started.master);
    proc.pid = started.pid;
    proc.io = io;
    this.opts.reaper.watch(started.pid, (exit) => this.onExit(task, proc, exit));
    this.opts.publisher.publish('TaskExecStarted', { containerId: task.id, execId, pid: started.pid });
    this.startPublished(task, proc);
    return { pid: started.pid };
  }

  /** TaskExit may go out once the process's start event has: an exit that came first waits for it. */
  private startPublished(task: Task, proc: ShimProcess): void {
    proc.startPublished = true;
    if (proc.pendingExit) {
      const exit = proc.pendingExit;
      proc.pendingExit = undefined;
      void this.finishExit(task, proc, exit);
    }
  }

  private onExit(task: Task, proc: ShimProcess, exit: Exit): void {
    if (!proc.startRequested) {
      // An init killed before start (Delete of a created task): no TaskStart will come.
      void this.finishExit(task, proc, exit);
      return;
    }
    if (!proc.startPublished) {
      proc.pendingExit = exit;
      return;
    }
    void this.finishExit(task, proc, exit);
  }

  private isCreatedOnly(task: Task): boolean {
    try {
      return task.store.status(task.store.read(task.id)) !== 'running';
    } catch {
      return true;
    }
  }

  private watchOom(task: Task): void {
    let source: StatsSource;
    try {
      source = managedCgroupOf(task.store.read(task.id)).statsSource();
    } catch (err) {
      log().debug(`container "${task.id}": no OOM events: ${(err as Error).message}`);
      return;
    }
    const timer = setInterval(() => this.checkOom(task), OOM_POLL_MS);
    timer.unref();
    task.oomWatch = { source, seen: oomKillCount(source.read, source.v2), timer };
  }

  private checkOom(task: Task): void {
    const watch = task.oomWatch;
    if (!watch) return;
    const count = oomKillCount(watch.source.read, watch.source.v2);
    if (count <= watch.seen) return;
    watch.seen = count;
    this.opts.publisher.publish('TaskOOM', { containerId: task.id });
  }

  private async finishExit(task: Task, proc: ShimProcess, exit: Exit): Promise<void> {
    const status = exitCodeOf(exit.status);
    if (!proc.execId && task.oomWatch) {
      // The OOM killer may have ended the init itself: that comes before its exit.
      this.checkOom(task);
      clearInterval(task.oomWatch.timer);
      task.oomWatch = undefined;
    }
    // A terminal's last output reaches the fifo before anyone hears of the exit.
    await proc.io?.finish();
    proc.exit = { status, at: exit.at };
    if (!proc.execId) {
      const failure = task.lateFailure?.();
      task.lateFailure = undefined;
      if (failure) log().error(`container "${task.id}": ${failure}`);
    }
    this.opts.publisher.publish('TaskExit', { containerId: task.id, id: proc.execId || task.id, pid: proc.pid, exitStatus: status, exitedAt: M.timestampOf(exit.at) });
    proc.markExited();
  }

  private async delete(r: Message): Promise<Message> {
    const task = this.task(r.id as string);
    const execId = r.execId as string;
    if (execId) {
      const proc = this.process(task, execId);
      if (proc.pending) {
        task.execs.delete(execId);
        this.opts.publisher.publish('TaskDelete', { containerId: task.id, id: execId });
        return {};
      }
      if (!proc.exit) throw new RpcError(Code.FAILED_PRECONDITION, `process "${execId}" of container "${task.id}" is still running: kill it first`);
      task.execs.delete(execId);
      await proc.io?.close();
      this.opts.publisher.publish('TaskDelete', { containerId: task.id, pid: proc.pid, exitStatus: proc.exit.status, exitedAt: M.timestampOf(proc.exit.at), id: execId });
      return { pid: proc.pid, exitStatus: proc.exit.status, exitedAt: M.timestampOf(proc.exit.at) };
    }
    const init = task.init;
    if (!init.exit && !this.isCreatedOnly(task)) {
      throw new RpcError(Code.FAILED_PRECONDITION, `container "${task.id}" is still running: kill it first`);
    }
    await deleteContainer(task.store, task.id, true);
    // A created task's init dies in that delete; its exit comes through the reaper.
    await Promise.race([init.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (task.rootfsMounted) unmountRootfs(task.bundle);
    await init.io?.close();
    this.tasks.delete(task.id);
    const exit = init.exit ?? { status: 128 + 9, at: Date.now() };
    const exitedAt = M.timestampOf(exit.at);
    this.opts.publisher.publish('TaskDelete', { containerId: task.id, pid: init.pid, exitStatus: exit.status, exitedAt, id: '' });
    return { pid: init.pid, exitStatus: exit.status, exitedAt };
  }

  private exec(r: Message): Message {
    const task = this.task(r.id as string);
    const execId = r.execId as string;
    if (task.execs.has(execId)) throw new RpcError(Code.ALREADY_EXISTS, `process "${execId}" of container "${task.id}" already exists`);
    if (task.init.exit) throw new RpcError(Code.FAILED_PRECONDITION, `container "${task.id}" has stopped: cannot exec in it`);
    const process = jsonOf<Process>(r.spec as Message | undefined, 'the exec process spec');
    const proc = newProcess(execId, 0, pathsOf(r));
    proc.pending = process;
    task.execs.set(execId, proc);
    this.opts.publisher.publish('TaskExecAdded', { containerId: task.id, execId });
    return {};
  }

  private resizePty(r: Message): Message {
    const task = this.task(r.id as string);
    const master = this.process(task, r.execId as string).io?.terminalMaster;
    if (master === undefined) throw new RpcError(Code.FAILED_PRECONDITION, `process "${(r.execId as string) || task.id}" has no terminal to resize`);
    setWindowSize(master, { rows: r.height as number, cols: r.width as number });
    return {};
  }

  private state(r: Message): Message {
    const task = this.task(r.id as string);
    const execId = r.execId as string;
    const proc = this.process(task, execId);
    const paths = proc.paths;
    let status: M.TaskStatus;
    if (proc.exit) status = M.TaskStatus.STOPPED;
    else if (proc.pending) status = M.TaskStatus.CREATED;
    else if (execId) status = M.TaskStatus.RUNNING;
    else status = statusOf(task.store.status(task.store.read(task.id)));
    return {
      id: execId || task.id,
      bundle: task.bundle,
      pid: proc.pid,
      status,
      stdin: paths.stdin,
      stdout: paths.stdout,
      stderr: paths.stderr,
      terminal: paths.terminal,
      exitStatus: proc.exit?.status ?? 0,
      exitedAt: proc.exit ? M.timestampOf(proc.exit.at) : undefined,
      execId,
    };
  }

  private pids(r: Message): Message {
    const task = this.task(r.id as string);
    return { processes: containerPids(task.store, task.id).map((pid) => ({ pid })) };
  }

  private async pause(r: Message, paused: boolean): Promise<Message> {
    const task = this.task(r.id as string);
    await setPaused(task.store, task.id, paused);
    this.opts.publisher.publish(paused ? 'TaskPaused' : 'TaskResumed', { containerId: task.id });
    return {};
  }

  private async kill(r: Message): Promise<Message> {
    const task = this.task(r.id as string);
    const execId = r.execId as string;
    const signal = r.signal as number;
    const proc = this.process(task, execId);
    if (!execId) {
      // runc's shim words it so; containerd and its clients know the phrase.
      if (proc.exit && !r.all) throw new RpcError(Code.NOT_FOUND, `process already finished`);
      await killContainer(task.store, task.id, signal, r.all as boolean);
      return {};
    }
    if (proc.pending) throw new RpcError(Code.FAILED_PRECONDITION, `process "${execId}" of container "${task.id}" has not been started`);
    if (proc.exit) throw new RpcError(Code.NOT_FOUND, `process "${execId}" of container "${task.id}": process already finished`);
    process.kill(proc.pid, signal);
    return {};
  }

  private closeIo(r: Message): Message {
    const task = this.task(r.id as string);
    if (r.stdin) this.process(task, r.execId as string).io?.closeStdin();
    return {};
  }

  private async update(r: Message): Promise<Message> {
    const task = this.task(r.id as string);
    await updateContainer(task.store, task.id, jsonOf<LinuxResources>(r.resources as Message | undefined, 'the resources'));
    return {};
  }

  private async wait(r: Message): Promise<Message> {
    const task = this.task(r.id as string);
    const proc = this.process(task, r.execId as string);
    await proc.exited;
    return { exitStatus: proc.exit!.status, exitedAt: M.timestampOf(proc.exit!.at) };
  }

  private stats(r: Message): Message {
    const task = this.task(r.id as string);
    const record = task.store.readLive(task.id, 'read the stats of');
    const source = managedCgroupOf(record).statsSource();
    if (source.v2) return { stats: { typeUrl: METRICS_V2_TYPE_URL, value: encode(MetricsV2, metricsV2(source.read, source.listHugetlb)) } };
    return { stats: { typeUrl: METRICS_V1_TYPE_URL, value: encode(MetricsV1, metricsV1(collectStats(source))) } };
  }

  private connect(r: Message): Message {
    const task = this.tasks.get(r.id as string);
    return { shimPid: process.pid, taskPid: task?.init.pid ?? 0, version: '' };
  }

  private shutdown(r: Message): Message {
    if (this.taskCount && !r.now) return {};
    this.opts.onShutdown(Boolean(r.now));
    return {};
  }
}

/**
 * Whether Create uses systemd's cgroup driver: runc's options' SystemdCgroup (which containerd
 * sends only to runc's runtime types), or the systemdCgroup of the shim config that the runtime
 * options name (what it sends to keel's: the same options as on start's stdin). The config is
 * read at every Create, as start reads it, so a container gets the setting of the moment.
 */
function systemdCgroupOf(any: Message | undefined, runcOptions: Message | undefined): { on: boolean; setting?: string } {
  if (runcOptions) return { on: Boolean(runcOptions.systemdCgroup), setting: "the runtime options' SystemdCgroup" };
  const path = shimConfigPathOf(any);
  if (!path) return { on: false };
  return { on: readShimConfig(path).systemdCgroup, setting: `shim config ${path}: systemdCgroup` };
}

function statusOf(status: string): M.TaskStatus {
  switch (status) {
    case 'created':
    case 'creating':
      return M.TaskStatus.CREATED;
    case 'running':
      return M.TaskStatus.RUNNING;
    case 'paused':
      return M.TaskStatus.PAUSED;
    case 'stopped':
      return M.TaskStatus.STOPPED;
    default:
      return M.TaskStatus.UNKNOWN;
  }
}

/** The root the shim used for the container of `bundle` (what create wrote there), for `delete`. */
export function rootOfBundle(bundle: string, namespace: string): string {
  const file = join(bundle, BUNDLE_STATE_FILE);
  if (existsSync(file)) {
    try {
      return (JSON.parse(readFileSync(file, 'utf8')) as { root: string }).root;
    } catch {
      // Fall back to the default.
    }
  }
  return join(DEFAULT_ROOT, namespace);
}
