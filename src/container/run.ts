import type { StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { startContainer } from './start.js';

/** Signals keel passes on to the container while it waits for it (SIGKILL/SIGSTOP cannot be caught). */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT', 'SIGALRM'] as const;

export interface RunOptions extends CreateOptions {
  detach: boolean;
  keep: boolean;
}

/**
 * `keel run`: create and start; in the foreground, wait for the init, pass signals on, and exit
 * with its status (128 + signal when it was killed), then delete the container unless --keep.
 */
export async function runContainer(store: StateStore, opts: RunOptions): Promise<number> {
  // In the foreground without --console-socket, keel relays a terminal itself, as runc does;
  // detached, nobody would hold it, and create refuses.
  const { record, master, lateFailure } = await createContainer(store, { ...opts, relayTerminal: !opts.detach });
  const pid = record.pid!;
  if (opts.detach) {
    await startContainer(store, opts.id);
    return 0;
  }
  try {
    const start = () => startContainer(store, opts.id);
    // node:tty (and with it net and stream) is loaded only when there is a terminal to relay.
    const status =
      master === undefined
        ? await waitForegroundProcess(pid, start)
        : await (await import('./terminal-relay.js')).relayTerminal(master, () => waitForegroundProcess(pid, start, { relayingTerminal: true }), {
            consoleSize: record.config.process?.consoleSize,
          });
    log().debug(`container ${opts.id} exited with wait status ${status}`);
    // A setup step that failed after `start` (the user's program never ran) is keel's error.
    const failure = lateFailure?.();
    if (failure) throw new KeelError(failure);
    return exitCodeOf(status);
  } finally {
    if (!opts.keep) await deleteContainer(store, opts.id, true);
  }
}

/**
 * Waits for a container process that is keel's own child (keel-init forks it with CLONE_PARENT),
 * passing on the signals keel receives meanwhile; `then` runs once the wait is in place.
 */
export async function waitForegroundProcess(pid: number, then: () => Promise<void> = async () => {}, opts: { relayingTerminal?: boolean } = {}): Promise<number> {
  // When keel relays the terminal, a resize of the caller's goes to the pty (which signals the
  // process's foreground group itself), not to the process.
  const forwarded = FORWARDED.filter((s) => !(opts.relayingTerminal && s === 'SIGWINCH'));
  const forward = (signal: NodeJS.Signals) => {
    try {
      process.kill(pid, signal);
    } catch {
      // It has just exited; the wait reports that.
    }
  };
  for (const signal of forwarded) process.on(signal, forward);
  try {
    const { waitAsync } = await import('../native/libkeel.js');
    const exited = waitAsync(pid);
    await then();
    return await exited;
  } finally {
    for (const signal of forwarded) process.off(signal, forward);
  }
}

/** A wait status as a shell reports it: the exit code, or 128 + the signal that killed it. */
export function exitCodeOf(status: number): number {
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}
