/** What keel prints on stdout goes through here. */
import { writeSync } from 'node:fs';

import { errnoCode } from '../util/errors.js';

/** The status a shell shows for a program killed by SIGPIPE (128 + 13), as runc's would be. */
export const BROKEN_PIPE_STATUS = 141;

/**
 * Writes to fd 1 directly: process.stdout would load Node's stream modules, a few ms of every
 * `state`. When the reader has gone away (`keel list | head -1`) keel stops quietly, with the
 * status of a program killed by SIGPIPE, instead of Node's EPIPE stack trace.
 */
export function writeStdout(text: string): void {
  const data = Buffer.from(text);
  for (let done = 0; done < data.length;) {
    try {
      done += writeSync(1, data, done);
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'EPIPE') process.exit(BROKEN_PIPE_STATUS);
      // A non-blocking stdout (shared with a process that set O_NONBLOCK on it) that is full: wait a little.
      if (code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      else throw err;
    }
  }
}
