/**
 * A restored container's terminal. The checkpoint saved the container's side of its pty; the
 * master stayed with whoever held it (conmon, the shim). CRIU makes a new pty at restore and sends
 * its master with the notify "orphan-pts-master" (keel asks for that with orphan_pts_master, as
 * runc does); keel passes it on to --console-socket, or keeps it to relay the caller's terminal
 * itself in a foreground restore, as runc 1.1 does both.
 */
import { closeSync } from 'node:fs';

import { KeelError } from '../util/errors.js';

/** What runc 1.1 names the master it sends on (the receiver does not read it). */
const MASTER_NAME = 'orphan-pts-master';

export class RestoredTerminal {
  /** The master, once CRIU has sent it, when keel relays the terminal itself. */
  master?: number;
  private received = false;

  private constructor(
    private readonly id: string,
    private readonly consoleFd: number | undefined,
  ) {}

  /**
   * The terminal's destination, refused before anything changes where no one would hold it:
   * detached without --console-socket, as runc refuses it. None when process.terminal is false.
   */
  static async open(id: string, terminal: boolean, target: { consoleSocket?: string; detach: boolean }): Promise<RestoredTerminal | undefined> {
    if (!terminal) return undefined;
    if (target.detach && !target.consoleSocket) {
      throw new KeelError(`cannot restore container "${id}": process.terminal is true but no --console-socket was given: detached, keel passes the restored terminal to whoever listens there (pass --console-socket)`);
    }
    if (!target.consoleSocket) return new RestoredTerminal(id, undefined);
    const { openConsoleSocket } = await import('./console.js');
    return new RestoredTerminal(id, (await openConsoleSocket(target.consoleSocket)).initFd);
  }

  /** CRIU's "orphan-pts-master" notify: `fd` is the new master, which this takes over. */
  async take(fd: number | undefined): Promise<void> {
    if (fd === undefined) throw new KeelError(`cannot restore container "${this.id}": CRIU announced the terminal's master without sending it`);
    if (this.received) {
      closeSync(fd);
      throw new KeelError(`cannot restore container "${this.id}": CRIU sent a second terminal; keel hands on one, the init's`);
    }
    this.received = true;
    if (this.consoleFd === undefined) {
      this.master = fd;
      return;
    }
    try {
      const { sendFd } = await import('../native/libkeel.js');
      sendFd(this.consoleFd, MASTER_NAME, fd);
    } finally {
      closeSync(fd);
    }
  }

  /** After CRIU's success: a config with a terminal restored from a checkpoint without one would leave the console socket waiting for ever. */
  requireReceived(): void {
    if (!this.received) {
      throw new KeelError(`cannot restore container "${this.id}": process.terminal is true, and the checkpoint has no terminal (CRIU sent no pty master): restore it with the bundle it was created with, or set "terminal": false`);
    }
  }

  /** Closes the console socket, and the master too unless `keepMaster` (the relay's, after a restore that worked). */
  close(keepMaster = false): void {
    if (this.consoleFd !== undefined) closeSync(this.consoleFd);
    if (!keepMaster && this.master !== undefined) {
      closeSync(this.master);
      this.master = undefined;
    }
  }
}

/** A checkpoint with a terminal restored under a config without one: nobody would hold the master. */
export function unexpectedTerminal(id: string, fd: number | undefined): never {
  if (fd !== undefined) closeSync(fd);
  throw new KeelError(`cannot restore container "${id}": the checkpoint has a terminal, and process.terminal is false: restore it with the bundle it was created with (and --console-socket)`);
}
