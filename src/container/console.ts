/**
 * Where a process's terminal goes. keel-init always opens the pty inside the container and sends
 * its master over a console socket: the engine's --console-socket when one is given (containerd,
 * conmon, CRI-O), or, for a foreground `run`/`exec` without one, one end of a socket pair whose
 * other end keel keeps, so that keel itself can relay the caller's terminal (as runc does).
 */
import { closeSync } from 'node:fs';

import { KeelError } from '../util/errors.js';
import { strerror } from '../util/errno.js';

export interface ConsoleSocket {
  /** The end keel-init sends the master over (keel closes its copy once keel-init has it). */
  initFd: number;
  /** keel's own end, when keel relays the terminal itself. */
  keelFd?: number;
}

/**
 * The console socket for a process with a terminal: the engine's, when a path is given; else a
 * private pair, for keel to relay the terminal itself (its callers check that it will be there
 * to do so: only a foreground process can have one).
 */
export async function openConsoleSocket(socketPath: string | undefined): Promise<ConsoleSocket> {
  const { NativeError, connectUnix, streamPair } = await import('../native/libkeel.js');
  if (socketPath) {
    try {
      return { initFd: connectUnix(socketPath) };
    } catch (err) {
      if (!(err instanceof NativeError)) throw err;
      throw new KeelError(`--console-socket ${socketPath}: cannot connect: ${strerror(err.errno)} (nothing listens there: the engine's socket, made before it calls keel)`);
    }
  }
  const [keelFd, initFd] = streamPair();
  return { initFd, keelFd };
}

/**
 * The pty master keel-init sent to keel's own end, or none for an engine's socket. Called once
 * keel-init has gone past the console op (create: ready; exec: executing), so it is already
 * waiting there. keel's end is closed either way.
 */
export async function takeMaster(sock: ConsoleSocket | undefined): Promise<number | undefined> {
  const keelFd = sock?.keelFd;
  if (keelFd === undefined) return undefined;
  sock!.keelFd = undefined;
  const { receiveFd } = await import('../native/libkeel.js');
  try {
    return receiveFd(keelFd, 'the terminal', false);
  } finally {
    closeSync(keelFd);
  }
}

/** Closes keel's own end if keel still holds it (a create or exec that failed on the way). */
export function dropConsoleSocket(sock: ConsoleSocket | undefined): void {
  if (sock?.keelFd === undefined) return;
  closeSync(sock.keelFd);
  sock.keelFd = undefined;
}
