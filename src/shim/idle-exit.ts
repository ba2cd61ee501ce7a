/**
 * When a long-lived shim may end. containerd sends Shutdown after each task's delete; runc's shim
 * ends as soon as it serves no container. This one also waits until no client is connected and,
 * if a `start` looked at it lately, until `lingerMs` after that: start (native/launch/shim.c)
 * connects and hangs up to see whether the group's shim answers, hands that shim to containerd
 * for one more container, and containerd connects only after start has returned. A shim that
 * ended in between would leave that container with no shim ("failed to get task pid: ttrpc:
 * closed"). With one shim per namespace, containers come and go all the time, so that window is
 * met, not just possible. start's look is told from containerd's connections by what it sends:
 * nothing.
 */
export interface IdleExitOptions {
  /** Whether a container is served (or being created). */
  busy: () => boolean;
  /** Ends the shim; called at most once. */
  exit: () => void;
  lingerMs: number;
  now?: () => number;
}

/** What is needed of a client's socket. */
export interface ClientSocket {
  readonly bytesRead: number;
  once(event: 'close', listener: () => void): unknown;
}

export class IdleExit {
  private open = 0;
  private lastLook = -Infinity;
  private wanted = false;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly opts: IdleExitOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A client connected: containerd for a container, or a start looking for a live shim. */
  connected(socket: ClientSocket): void {
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (socket.bytesRead === 0) this.lastLook = this.now();
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
    const wait = this.lastLook + this.opts.lingerMs - this.now();
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
