import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';

/** The one line keel prints (and logs) when a command fails; exit status 1. */
export function reportFailure(err: unknown): void {
  if (err instanceof KeelError) {
    log().error(err.message);
  } else {
    const e = err as Error;
    log().error(`internal error: ${e?.message ?? String(err)}${log().debugEnabled ? `\n${e?.stack ?? ''}` : ' (run with --debug for the stack)'}`);
  }
  process.exitCode = 1;
}
