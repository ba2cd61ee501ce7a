/**
 * dist/keel-create.cjs: `create` and `run` for the plain runc-style shapes fast-args.ts reads (the
 * ones engines send), without yargs and without the other verbs' code. V8 reads a code cache whole
 * at every start, so this bundle's cache holds just what these two verbs run. keel.cjs (entry.ts)
 * loads it and hands it the command line it has already parsed.
 */
import { createCommand } from './commands/create.js';
import { runCommand } from './commands/run.js';
import type { FastParse } from './fast-args.js';
import { runParsed } from './run-parsed.js';

const CREATE_COMMANDS = { create: createCommand, run: runCommand };

/** `fast.verb` is create or run (entry.ts checks before loading this bundle). */
export function runCreateCommand(fast: FastParse): void {
  runParsed(CREATE_COMMANDS[fast.verb as keyof typeof CREATE_COMMANDS], fast);
}
