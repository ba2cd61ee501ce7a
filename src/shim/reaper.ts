/**
 * The shim's reaper: on SIGCHLD it reaps every exited child, as containerd's shims do, and hands
 * each status to whoever watches that pid. The shim is the child subreaper, so a container's
 * orphans (without a PID namespace of its own) come here too and are reaped, and so are the
 * keel-init processes that finish their part. An exit can come before its pid is watched (an
 * exec'd program that ends at once, while the shim is still answering Exec): it is kept a while
 * for a watcher that comes late.
 *
 * Children Node spawned itself (a hook keel runs through node:child_process) are Node's to reap:
 * taking their exit would leave Node waiting for it for ever. So the reaper looks at an exited
 * child first (waitid WNOWAIT) and leaves those alone; Node reaps them on the same SIGCHLD.
 */
import { ChildProcess } from 'node:child_process';

import { peekExited, setChildSubreaper, tryWait } from '../native/libkeel.js';

/** How long an exit nobody watched is kept for a late watcher. */
const UNCLAIMED_MS = 60_000;
/** When Node's own exited child is first in line, how soon to look again (Node reaps it meanwhile). */
const RETRY_MS = 5;

export interface Exit {
  status: number;
  at: number;
}

/** The pids of the children node:child_process spawned and has not yet seen exit. */
const nodeChildren = new Set<number>();

/**
 * Every child_process spawn goes through ChildProcess.prototype.spawn: its pid is recorded there,
 * in the same tick (before any SIGCHLD handler can run), and forgotten once Node has reaped it.
 */
function trackNodeChildren(): void {
  const proto = ChildProcess.prototype as unknown as { spawn: (...args: unknown[]) => unknown };
  const spawn = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
    const result = spawn.apply(this, args);
    const pid = this.pid;
    if (pid !== undefined) {
      nodeChildren.add(pid);
      this.once('exit', () => nodeChildren.delete(pid));
    }
    return result;
  };
}

export class Reaper {
  private readonly watchers = new Map<number, (exit: Exit) => void>();
  private readonly unclaimed = new Map<number, Exit>();
  private retry: NodeJS.Timeout | undefined;

  /** Becomes the subreaper and starts reaping on SIGCHLD. */
  start(): void {
    trackNodeChildren();
    setChildSubreaper();
    process.on('SIGCHLD', () => this.reapAll());
  }

  /** Calls `onExit` once `pid`, a child of the shim's, has exited (at once if it has already). */
  watch(pid: number, onExit: (exit: Exit) => void): void {
    const early = this.unclaimed.get(pid);
    if (early) {
      this.unclaimed.delete(pid);
      onExit(early);
      return;
    }
    this.watchers.set(pid, onExit);
    // A SIGCHLD may have come and gone before the watch: look again.
    this.reapAll();
  }

  reapAll(): void {
    for (let pid = peekExited(); pid !== undefined; pid = peekExited()) {
      if (nodeChildren.has(pid)) {
        // Node's to reap; whatever exited behind it is looked at again shortly.
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.reapAll();
        }, RETRY_MS);
        break;
      }
      const status = tryWait(pid);
      if (status === undefined) break;
      const exit = { status, at: Date.now() };
      const onExit = this.watchers.get(pid);
      if (onExit) {
        this.watchers.delete(pid);
        onExit(exit);
      } else {
        this.unclaimed.set(pid, exit);
      }
    }
    const old = Date.now() - UNCLAIMED_MS;
    for (const [pid, exit] of this.unclaimed) if (exit.at < old) this.unclaimed.delete(pid);
  }
}
