/**
 * The caller's terminal, relayed to a container process's pty (foreground `run` and `exec -t`
 * without --console-socket, as runc does): keel's stdin goes to the pty master, the master's
 * output to keel's stdout, the caller's terminal is raw meanwhile (so ^C, ^Z and the like reach
 * the container's terminal, which turns them into signals there), and its window size follows
 * the caller's. Whatever happens, the caller's terminal is left as it was found.
 */
import tty from 'node:tty';

import type { WindowSize } from '../native/libkeel.js';
import { log } from '../util/log.js';

/** After the process exits, how long its output may take to drain (a background child may hold the pty). */
const DRAIN_MS = 500;
/** End of input, as a user would type it: the relay sends it when a non-terminal stdin ends. */
const VEOF = '\x04';

/**
 * The size to give the pty before the process starts: none when process.consoleSize was given
 * (keel-init applied it, and it takes precedence), else the caller's, when keel runs in a terminal.
 */
export function sizeAtStart(consoleSize: { height: number; width: number } | undefined, caller: WindowSize | undefined): WindowSize | undefined {
  if (consoleSize?.height && consoleSize.width) return undefined;
  return caller && caller.rows && caller.cols ? caller : undefined;
}

export interface RelayOptions {
  /** process.consoleSize, which wins over the caller's size until the caller's terminal is resized. */
  consoleSize?: { height: number; width: number };
}

/**
 * Relays between keel's stdio and `master` while `wait` runs (it starts the process if need be
 * and resolves with its wait status), then restores the caller's terminal and closes the master.
 */
export async function relayTerminal(master: number, wait: () => Promise<number>, opts: RelayOptions = {}): Promise<number> {
  const { clearOnlcr, setWindowSize, windowSize } = await import('../native/libkeel.js');
  clearOnlcr(master);
  const callerSize = () => windowSize(0) ?? windowSize(1) ?? windowSize(2);
  const resize = (size: WindowSize | undefined) => {
    if (!size) return;
    try {
      setWindowSize(master, size);
    } catch (err) {
      log().debug(`cannot resize the container's terminal: ${(err as Error).message}`);
    }
  };
  resize(sizeAtStart(opts.consoleSize, callerSize()));
  const onWinch = () => resize(callerSize());

  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const restore = () => {
    if (raw && stdin.isRaw) stdin.setRawMode(false);
  };
  // Also on paths that skip `finally` (process.exit from elsewhere).
  process.once('exit', restore);

  const term = new tty.ReadStream(master);
  let drained!: () => void;
  const outputEnded = new Promise<void>((resolve) => (drained = resolve));
  term.on('data', (chunk: Buffer) => process.stdout.write(chunk));
  term.on('end', () => drained());
  // EIO: every holder of the pty's other side has closed it (the process has exited).
  term.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EIO') log().debug(`terminal relay: ${err.message}`);
    drained();
  });
  term.on('close', () => drained());

  // A caller that stops reading (a closed pipe) must not crash keel before it has waited and cleaned up.
  const onOutputError = (err: Error) => log().debug(`terminal relay: stdout: ${err.message}`);
  process.stdout.on('error', onOutputError);
  const onInput = (chunk: Buffer) => term.write(chunk);
  const onInputEnd = () => {
    if (!term.destroyed) term.write(VEOF);
  };
  try {
    if (raw) stdin.setRawMode(true);
    process.on('SIGWINCH', onWinch);
    stdin.on('data', onInput);
    if (!raw) stdin.on('end', onInputEnd);
    stdin.on('error', (err) => log().debug(`terminal relay: stdin: ${err.message}`));
    term.resume();
    const status = await wait();
    await Promise.race([outputEnded, new Promise((resolve) => setTimeout(resolve, DRAIN_MS).unref())]);
    return status;
  } finally {
    process.off('SIGWINCH', onWinch);
    process.stdout.off('error', onOutputError);
    stdin.off('data', onInput);
    stdin.off('end', onInputEnd);
    restore();
    process.off('exit', restore);
    stdin.destroy();
    term.destroy();
  }
}
