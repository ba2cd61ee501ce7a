/**
 * One conversation with keel-init, from spawn to READY: keel sends the plan, answers each sync
 * point (cgroups, id mappings, hooks) and learns the container init's PID. When an op fails,
 * keel-init reports its index and errno, and this turns them into words about that op.
 */
import { closeSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';

import { NativeError, nativeDir, receiveFd, sealedCopy, seqpacketPair, spawnInit, tryWait, waitExitWithin, waitReadable, waitSync } from '../native/libkeel.js';
import { encodePlan } from '../plan/encode.js';
import { SyncTag, type PlanOp } from '../plan/ops.js';
import { KeelError, errnoCode } from '../util/errors.js';
import { log } from '../util/log.js';
import { describeOpFailure } from './init-errors.js';
import { MSG, MSG_OFFSET, MSG_SIZE } from './init-protocol.js';
import { KILLED_REAP_MS, replyBound } from './sync-bounds.js';

/**
 * Reaps the child `pid`, waiting at most `ms` (undefined: without a limit); false if it is still
 * there then. A child that is already gone counts as reaped.
 */
function reapWithin(pid: number, ms: number | undefined): boolean {
  try {
    if (ms === undefined) waitSync(pid);
    else return waitExitWithin(pid, ms) !== undefined;
    return true;
  } catch (err) {
    if (err instanceof NativeError && (err.code === 'ECHILD' || err.code === 'ESRCH')) return true;
    throw err;
  }
}

/** What keel waits for after each message, in the words of the error when the wait runs out. */
const SYNC_NAMES: Record<number, string> = {
  [SyncTag.CGROUP]: 'cgroup',
  [SyncTag.ID_MAPS]: 'id mappings',
  [SyncTag.CREATE_RUNTIME_HOOKS]: 'createRuntime hooks',
  [SyncTag.CREATE_CONTAINER_HOOKS]: 'createContainer hooks',
  [SyncTag.SECCOMP_LISTENER]: 'seccomp listener',
};

interface InitMessage {
  type: number;
  opIndex: number;
  err: number;
  value: number;
  detail: string;
}

export interface SyncHandlers {
  /** Called at each OP_SYNC with the PID of the process that waits (in keel's PID namespace). */
  onSync(tag: SyncTag, pid: number): void | Promise<void>;
  /** Called when the container init exists, before it goes on with the plan's container phase. */
  onInitPid?(pid: number): void;
  /** Called with the notify fd of a seccomp filter with a listener (closed afterwards). */
  onSeccompFd?(fd: number, pid: number): void;
}

export class InitSession {
  private firstPid: number;
  private firstReaped = false;
  private initPid: number | undefined;
  private socket: number | undefined;
  /** What the next message from keel-init is awaited for (for the error when it does not come). */
  private awaiting = 'keel-init to read the plan';
  private readonly bound: number | undefined;

  private constructor(
    private readonly ops: readonly PlanOp[],
    socket: number,
    firstPid: number,
  ) {
    this.socket = socket;
    this.firstPid = firstPid;
    this.bound = replyBound(ops);
  }

  /**
   * Starts keel-init. The container's fds (stdio, then `preserveFds` fds from 3 on) are inherited
   * as they are; keel-init's own fds (the sync socket, then `extraFds`) are placed above them.
   * `stdio` gives the container other fds for 0, 1 and 2 than keel's own (the shim's per-process
   * fifos); it goes with no preserved fds, which would sit between them and keel-init's.
   */
  static start(ops: readonly PlanOp[], extraFds: number[], preserveFds: number, stdio?: readonly [number, number, number]): InitSession {
    if (stdio && preserveFds) throw new KeelError('keel cannot pass both its own stdio choice and --preserve-fds to one process');
    const [parentEnd, childEnd] = seqpacketPair();
    const exe = sealedCopy(join(nativeDir(), 'keel-init'));
    let pid: number;
    try {
      pid = stdio ? spawnInit(exe, [...stdio, childEnd, ...extraFds], 0, 3) : spawnInit(exe, [childEnd, ...extraFds], 3 + preserveFds);
    } finally {
      closeSync(exe);
      closeSync(childEnd);
    }
    const session = new InitSession(ops, parentEnd, pid);
    const plan = encodePlan(ops);
    try {
      writeSync(parentEnd, plan);
    } catch (err) {
      session.abort();
      // One message carries the whole plan; the socket's buffer (8 MiB, see keel_seqpacket_pair) bounds it.
      if (errnoCode(err) === 'EMSGSIZE') throw new KeelError(`config.json is too large for keel: its plan takes ${plan.length} bytes, more than one message to keel-init can hold; trim process.env, process.args or process.user.additionalGids`);
      throw err;
    }
    return session;
  }

  get pid(): number | undefined {
    return this.initPid;
  }

  /** Runs the conversation until keel-init waits for `start`; returns the container init's PID. */
  untilReady(handlers: SyncHandlers): Promise<number> {
    return this.converse(handlers, MSG.READY);
  }

  /**
   * Runs the conversation until the process has exec'd the user's program (`keel exec`): after
   * MSG_EXECUTING, the socket closing means execve succeeded; an error message means it failed.
   */
  async untilExecuted(handlers: SyncHandlers): Promise<number> {
    const pid = await this.converse(handlers, MSG.EXECUTING);
    this.awaiting = 'the process to exec its program (its end of the sync socket closes at execve)';
    const msg = this.receive(true);
    if (msg) this.fail(msg);
    return pid;
  }

  private async converse(handlers: SyncHandlers, until: number): Promise<number> {
    let waiting = this.firstPid;
    for (;;) {
      const msg = this.receive(false)!;
      switch (msg.type) {
        case MSG.PLAN_OK:
          log().debug(`keel-init ${msg.value} received the plan (${this.ops.length} ops)`);
          this.awaiting = 'keel-init to carry out the plan up to its first sync point';
          break;
        case MSG.SYNC:
          if (msg.value === SyncTag.SECCOMP_LISTENER) this.passSeccompFd(handlers, waiting);
          else await handlers.onSync(msg.value as SyncTag, waiting);
          this.send(MSG.CONTINUE);
          this.awaiting = `keel-init to go on past the ${SYNC_NAMES[msg.value] ?? msg.value} sync point`;
          break;
        case MSG.INIT_PID:
          this.initPid = waiting = msg.value;
          this.reapFirst();
          log().debug(`container process is pid ${msg.value}`);
          handlers.onInitPid?.(msg.value);
          this.awaiting = `the container process (pid ${msg.value}) to finish its setup`;
          break;
        case MSG.ERROR:
          this.fail(msg);
          break;
        case until:
          if (this.initPid === undefined) throw new KeelError('keel-init reported ready before the container process started');
          return this.initPid;
        default:
          throw new KeelError(`keel-init sent an unexpected message (type ${msg.type})`);
      }
    }
  }

  /** The notify fd follows the sync message in a message of its own. */
  private passSeccompFd(handlers: SyncHandlers, pid: number): void {
    this.awaiting = 'keel-init to send the seccomp notify fd';
    this.waitForReply();
    const fd = receiveFd(this.socket!, 'the seccomp notify fd', true);
    try {
      if (!handlers.onSeccompFd) throw new KeelError('keel-init sent a seccomp notify fd that nothing here can use');
      handlers.onSeccompFd(fd, pid);
    } finally {
      closeSync(fd);
    }
  }

  private fail(msg: InitMessage): never {
    throw new KeelError(this.describe(msg));
  }

  private describe(msg: InitMessage): string {
    const afterFilter = this.ops.slice(0, Math.max(msg.opIndex, 0)).some((op) => op.name === 'seccomp');
    return describeOpFailure(this.ops[msg.opIndex], msg.err, msg.detail, afterFilter);
  }

  /**
   * Tells the waiting init that state.json now names it, and ends the conversation: from here on
   * the init outlives keel. (Without this, it exits as soon as keel's end of the socket closes.)
   */
  commit(): void {
    this.send(MSG.COMMIT, 0);
    this.close();
  }

  /**
   * As commit, for a foreground `run`: keel stays on the line, and keel-init leaves the reporting
   * of a failure after `start` to keel (lateFailure) instead of writing it to the container's stderr.
   */
  commitAndListen(): void {
    this.send(MSG.COMMIT, 1);
  }

  /**
   * Once the container's process has exited: the failure keel-init reported after `start` (a
   * startContainer hook, the capabilities, the seccomp filter, execve), in keel's words, if any.
   * Bounded: the process has exited and nothing else holds its end (execve closes it).
   */
  lateFailure(): string | undefined {
    try {
      for (let msg = this.receive(true); msg; msg = this.receive(true)) {
        if (msg.type === MSG.ERROR) return this.describe(msg);
      }
      return undefined;
    } finally {
      this.close();
    }
  }

  /** Ends the conversation (exec: the process runs on; its socket closed at execve). */
  close(): void {
    if (this.socket !== undefined) closeSync(this.socket);
    this.socket = undefined;
  }

  /** Kills whatever this session started, after a failure. */
  abort(): void {
    for (const pid of [this.initPid, this.firstReaped ? undefined : this.firstPid]) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      // SIGKILL ends a process at once, unless it sleeps uninterruptibly (a hung FUSE or NFS
      // mount of the container's): then keel leaves it to init rather than hang with it.
      if (!reapWithin(pid, KILLED_REAP_MS)) log().warn(`keel-init ${pid} has not exited ${KILLED_REAP_MS / 1000} s after SIGKILL; leaving it to be reaped by init`);
    }
    this.close();
  }

  private reapFirst(): void {
    // The first keel-init exits right after it reports the init's PID.
    if (!reapWithin(this.firstPid, this.bound)) {
      throw new KeelError(`keel-init (pid ${this.firstPid}) did not exit within ${this.bound! / 1000} s of starting the container process: it is stuck or stopped; keel has given up on it`);
    }
    this.firstReaped = true;
  }

  /** The next message; at the end of the conversation, undefined when `endIsExpected`. */
  private receive(endIsExpected: boolean): InitMessage | undefined {
    this.waitForReply();
    const buf = Buffer.alloc(MSG_SIZE);
    const n = readSync(this.socket!, buf, 0, MSG_SIZE, null);
    if (n === 0 && endIsExpected) return undefined;
    if (n === 0) {
      const status = tryWait(this.firstPid);
      throw new KeelError(`keel-init exited without saying why${status !== undefined ? ` (wait status ${status})` : ''}`);
    }
    if (n !== MSG_SIZE) throw new KeelError(`keel-init sent a malformed message (${n} bytes)`);
    const end = buf.indexOf(0, MSG_OFFSET.detail);
    return {
      type: buf.readInt32LE(MSG_OFFSET.type),
      opIndex: buf.readInt32LE(MSG_OFFSET.opIndex),
      err: buf.readInt32LE(MSG_OFFSET.err),
      value: buf.readInt32LE(MSG_OFFSET.value),
      detail: buf.toString('utf8', MSG_OFFSET.detail, end < 0 ? MSG_SIZE : end),
    };
  }

  /**
   * Waits, within the bound, until keel-init's next message (or the end of its socket) is there:
   * a process that keeps the socket open and never answers (stopped, stuck, or something it
   * forked holding the socket) must not hang keel.
   */
  private waitForReply(): void {
    if (this.bound === undefined) return;
    if (waitReadable(this.socket!, this.bound, 'keel-init')) return;
    throw new KeelError(
      `keel-init sent nothing for ${this.bound / 1000} s while keel waited for ${this.awaiting}: it holds its socket open but is stuck or stopped; keel has given up on it`,
    );
  }

  private send(type: number, value = 0): void {
    const buf = Buffer.alloc(MSG_SIZE);
    buf.writeInt32LE(type, MSG_OFFSET.type);
    buf.writeInt32LE(value, MSG_OFFSET.value);
    writeSync(this.socket!, buf);
  }
}
