/**
 * The shim's reaper: on SIGCHLD it reaps every exited child (waitpid(-1)), as containerd's shims
 * do, and hands each status to whoever watches that pid. The shim is the child subreaper, so a
 * container's orphans (without a PID namespace of its own) come here too and are reaped, and so
 * are the keel-init processes that finish their part. An exit can come before its pid is watched
 * (an exec'd program that ends at once, while the shim is still answering Exec): it is kept a
 * while for a watcher that comes late.
 */
import { reapAny, setChildSubreaper } from '../native/libkeel.js';

/** How long an exit nobody watched is kept for a late watcher. */
const UNCLAIMED_MS = 60_000;

export interface Exit {
  status: number;
  at: number;
}

export class Reaper {
  private readonly watchers = new Map<number, (exit: Exit) => void>();
  private readonly unclaimed = new Map<number, Exit>();

  /** Becomes the subreaper and starts reaping on SIGCHLD. */
  start(): void {
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
    for (let child = reapAny(); child; child = reapAny()) {
      const exit = { status: child.status, at: Date.now() };
      const onExit = this.watchers.get(child.pid);
      if (onExit) {
        this.watchers.delete(child.pid);
        onExit(exit);
      } else {
        this.unclaimed.set(child.pid, exit);
      }
    }
    const old = Date.now() - UNCLAIMED_MS;
    for (const [pid, exit] of this.unclaimed) if (exit.at < old) this.unclaimed.delete(pid);
  }
}
