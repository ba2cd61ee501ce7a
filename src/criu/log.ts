/** CRIU's reason for a failed request, in one line: its error message, or the first error of its log. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CriuResponse } from './rpc-messages.js';

/** The first "Error (file:line): ..." line of a CRIU log, without its location. */
export function firstLogError(logText: string): string | undefined {
  const line = logText.split('\n').find((l) => /\bError \([^)]*\):/.test(l));
  return line === undefined ? undefined : withoutLocation(line);
}

/** A CRIU message without its timestamp, "Error (file:line): " and trailing newline. */
export function withoutLocation(message: string): string {
  return message.replace(/^.*?\bError \([^)]*\):\s*/, '').trim();
}

export function criuFailure(resp: CriuResponse, logDir: string, logName: string): string {
  const logPath = join(logDir, logName);
  let fromLog: string | undefined;
  try {
    fromLog = firstLogError(readFileSync(logPath, 'utf8'));
  } catch {
    fromLog = undefined;
  }
  // cr_errmsg is CRIU's log line itself: "Error (criu/sk-inet.c:189): inet: ...\n".
  const reason = (resp.crErrmsg && withoutLocation(resp.crErrmsg)) || fromLog || (resp.crErrno ? `errno ${resp.crErrno}` : 'no reason given');
  return `CRIU failed: ${reason} (its log: ${logPath})`;
}
