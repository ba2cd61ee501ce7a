/**
 * When a long-lived shim may end. containerd sends Shutdown after each task's delete; runc's shim
 * ends as soon as it serves no container. This one also waits until no client is connected and
 * none has connected for `lingerMs`: `start` (native/launch/shim.c) hands a group's socket to
 * containerd for one more container once it has seen the shim answer, and containerd connects
 * only after start has returned. A shim that ended in between would leave that container with
 * no shim ("start failed: ... connect"). With one shim per namespace, containers of the group
 * come and go all the time, so that window is met, not just possible.
 */
export interface IdleExitOptions {
  /** Whether a container is served (or being created). */
  busy: () => boolean;
  /** Ends the shim; called at most once. */
  exit: () => void;
  lingerMs: number;
  now?: () => number;
}

interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

export class IdleExit {
  private open = 0;
  private lastConnect = -Infinity;
  private wanted = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: IdleExitOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A client connected (containerd for a container, or a start looking for a live shim). */
  connected(socket: Closable): void {
    this.open++;
    this.lastConnect = this.now();
    socket.once('close', () => {
      this.open--;
      this.check();
    });
  }

  /** Shutdown came: with `now` the shim ends at once, whatever it serves (the Shutdown API's `now`). */
  requested(now = false): void {
    if (now) return this.finish();
    this.wanted = true;
    this.check();
  }

  private check(): void {
    if (!this.wanted || this.done) return;
    if (this.opts.busy()) {
      // A container came: its own delete will ask again.
      this.wanted = false;
      return;
    }
    if (this.open > 0) return;
    const wait = this.lastConnect + this.opts.lingerMs - this.now();
    if (wait > 0) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.check(), wait);
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.opts.exit();
  }
}
