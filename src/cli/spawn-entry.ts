/**
 * dist/keel-spawn.cjs: the verbs that spawn keel-init (`create`, `run` and `exec`) for the plain
 * runc-style shapes fast-args.ts reads (the ones engines send), without yargs and without the other
 * verbs' code. V8 reads a code cache whole at every start, so this bundle's cache holds just what
 * these verbs run. keel.cjs (entry.ts) loads it and hands it the command line it has already parsed.
 */
import { createCommand } from './commands/create.js';
import { execCommand } from './commands/exec.js';
import { runCommand } from './commands/run.js';
import type { FastParse } from './fast-args.js';
import { runParsed } from './run-parsed.js';

const SPAWN_COMMANDS = { create: createCommand, run: runCommand, exec: execCommand };

/** `fast.verb` is one of SPAWN_COMMANDS (entry.ts checks before loading this bundle). */
export function runSpawnCommand(fast: FastParse): void {
  runParsed(SPAWN_COMMANDS[fast.verb as keyof typeof SPAWN_COMMANDS], fast);
}
