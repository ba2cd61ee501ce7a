import type { FastParse } from './fast-args.js';
import { reportFailure } from './failure.js';
import { applyLogging, type GlobalArgs } from './globals.js';

export type ParsedCommand = { handler: (argv: never) => void | Promise<void> };

/**
 * Runs a command on a command line fast-args.ts has parsed, with the logging its global flags ask
 * for. Each bundle has its own copy of the logger, so this runs in the bundle the command is in.
 */
export function runParsed(command: ParsedCommand, fast: FastParse): void {
  const argv = fast.argv as unknown as GlobalArgs;
  applyLogging(argv);
  Promise.resolve()
    .then(() => command.handler(argv as never))
    .catch(reportFailure);
}
