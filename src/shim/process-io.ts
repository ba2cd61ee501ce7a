/**
 * A container process's stdio as containerd passes it: paths of fifos it reads and writes
 * (stdin, stdout, stderr), `file://` URIs, `binary://` URIs, or nothing. Without a terminal the
 * process gets the fifos themselves, so what it writes goes straight to containerd and nothing
 * can be lost between its last write and its exit. The shim keeps a read end of each output
 * fifo, as runc's shim does, so that a client going away does not kill the process with SIGPIPE.
 * With a terminal the shim relays: stdin fifo -> pty master -> stdout fifo. A binary:// stdout
 * starts a logging program (binary-logger.ts) that reads the process's stdout and stderr pipes.
 */
import { closeSync, constants, openSync } from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';

import { KeelError } from '../util/errors.js';
import { BinaryLogger } from './binary-logger.js';
import { outputTarget } from './stdio-uri.js';

export interface StdioPaths {
  stdin: string;
  stdout: string;
  stderr: string;
  terminal: boolean;
}

/** How long the output of a terminal may take to drain after its process exits. */
const DRAIN_MS = 2000;

/**
 * A fifo opened without blocking whatever the other side does: O_RDWR never waits, and a reopen
 * through /proc of that open fifo in the wanted mode finds its partner (the O_RDWR one) there.
 */
function openFifo(path: string, flags: number): number {
  const rw = openSync(path, constants.O_RDWR);
  try {
    return openSync(`/proc/self/fd/${rw}`, flags);
  } finally {
    closeSync(rw);
  }
}

export class ProcessIo {
  /** The fds the process gets as 0, 1, 2 (closed by the shim once the process has them). */
  readonly stdio: [number, number, number];
  /** Fds the shim holds for the process's life (output fifos' read ends). */
  private readonly held: number[] = [];
  /** With a terminal, the fifo ends the relay uses (the process's own stdio is its pty). */
  private relayIn: number | undefined;
  private relayOut: number | undefined;
  private relayDone: Promise<void> = Promise.resolve();
  private stdinStream: net.Socket | undefined;
  private master: number | undefined;
  /** The logging program of a binary:// stdout, which gets stderr too (as with runc's shim). */
  private logger: BinaryLogger | undefined;

  /**
   * The stdio of process `id` (the container's, or an exec's id) of containerd namespace
   * `namespace`; with a binary:// stdout, once its logging program says it is ready.
   */
  static async open(paths: StdioPaths, id: string, namespace: string): Promise<ProcessIo> {
    const stdout = outputTarget(paths.stdout);
    if (stdout.kind !== 'binary') return new ProcessIo(paths);
    if (paths.terminal) throw new KeelError(`stdio "${paths.stdout}": binary:// logging takes a process's stdout and stderr, and a process with a terminal has neither; use a fifo`);
    const logger = await BinaryLogger.start(stdout, { CONTAINER_ID: id, CONTAINER_NAMESPACE: namespace });
    try {
      return new ProcessIo(paths, logger);
    } catch (err) {
      await logger.stop();
      throw err;
    }
  }

  private constructor(
    readonly paths: StdioPaths,
    logger?: BinaryLogger,
  ) {
    const opened: number[] = [];
    const track = (fd: number) => (opened.push(fd), fd);
    try {
      const stdin = paths.stdin ? track(openFifo(paths.stdin, constants.O_RDONLY)) : undefined;
      if (logger) {
        this.logger = logger;
        this.stdio = [stdin ?? track(openSync('/dev/null', constants.O_RDONLY)), logger.stdout, logger.stderr];
        return;
      }
      const stdout = this.openOutput(paths.stdout, track);
      if (paths.terminal) {
        // keel-init gives the process the pty as 0, 1 and 2; until then it holds /dev/null.
        this.relayIn = stdin;
        this.relayOut = stdout;
        const none = track(openSync('/dev/null', constants.O_RDWR));
        this.stdio = [none, none, none];
      } else {
        const stderr = this.openOutput(paths.stderr, track);
        this.stdio = [stdin ?? track(openSync('/dev/null', constants.O_RDONLY)), stdout, stderr];
      }
    } catch (err) {
      for (const fd of [...opened, ...this.held]) closeSync(fd);
      throw err;
    }
  }

  private openOutput(uri: string, track: (fd: number) => number): number {
    const target = outputTarget(uri);
    if (target.kind === 'binary') throw new KeelError(`stdio "${uri}": binary:// is taken for stdout (which gives the logging program stderr too), not for stderr alone`);
    if (target.kind === 'null') return track(openSync('/dev/null', constants.O_WRONLY));
    if (target.kind === 'file') return track(openSync(target.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640));
    const fd = track(openFifo(target.path, constants.O_WRONLY));
    this.held.push(openSync(`/proc/self/fd/${fd}`, constants.O_RDONLY | constants.O_NONBLOCK));
    return fd;
  }

  /** Once the process holds its stdio: the shim's copies go (its output fifos then end with the process). */
  handedOver(): void {
    for (const fd of new Set(this.ownStdio)) closeSync(fd);
    this.logger?.closeWriteEnds();
  }

  /** The stdio fds this object opened itself (a logging program's pipes are the logger's to close). */
  private get ownStdio(): number[] {
    return this.logger ? [this.stdio[0]] : this.stdio;
  }

  /** With a terminal: relays between the fifos and the pty `master` until the process's side closes. */
  relay(master: number): void {
    this.master = master;
    const term = new tty.ReadStream(master);
    const out = this.relayOut === undefined ? undefined : new net.Socket({ fd: this.relayOut, readable: false, writable: true });
    out?.on('error', () => {});
    this.relayDone = new Promise<void>((resolve) => {
      term.on('data', (chunk: Buffer) => out?.write(chunk));
      // EIO: every holder of the pty's other side has closed it (the process has exited).
      term.on('error', () => resolve());
      term.on('end', () => resolve());
      term.on('close', () => resolve());
    }).then(() => {
      term.destroy();
      if (out) return new Promise<void>((resolve) => out.end(resolve));
    });
    if (this.relayIn !== undefined) {
      const input = new net.Socket({ fd: this.relayIn, readable: true, writable: false });
      this.stdinStream = input;
      input.on('data', (chunk: Buffer) => {
        if (!term.destroyed) term.write(chunk);
      });
      input.on('error', () => {});
    }
  }

  /** containerd's CloseIO: the process's stdin ends (with a terminal, the relay stops feeding it). */
  closeStdin(): void {
    this.stdinStream?.destroy();
    this.stdinStream = undefined;
  }

  /** The pty master, for ResizePty. */
  get terminalMaster(): number | undefined {
    return this.master;
  }

  /** After the process has exited: its output drained (terminal), then every fd the shim held closed. */
  async finish(): Promise<void> {
    await Promise.race([this.relayDone, new Promise((r) => setTimeout(r, DRAIN_MS).unref())]);
    this.closeStdin();
    for (const fd of this.held.splice(0)) closeSync(fd);
  }

  /**
   * containerd's Delete of the process: its logging program, if any, is asked to finish (it
   * has had the end of the process's output since the process exited), as runc's shim asks it.
   */
  async close(): Promise<void> {
    await this.logger?.stop();
  }

  /** A process that never started: every fd the shim opened for it goes (and its logging program). */
  abandon(): void {
    void this.logger?.stop();
    for (const fd of new Set([...this.ownStdio, ...this.held.splice(0), this.relayIn, this.relayOut])) {
      if (fd === undefined) continue;
      try {
        closeSync(fd);
      } catch {
        // Already handed over or closed.
      }
    }
  }
}
