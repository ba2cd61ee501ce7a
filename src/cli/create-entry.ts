/**
 * dist/keel-create.cjs: `create` and `run` in the plain runc-style shapes fast-args.ts reads (the
 * ones engines send), without yargs and without the other verbs' code. V8 reads a code cache whole
 * at every start, so this bundle's cache holds just what these two verbs run (entry.ts picks it).
 */
import { createCommand } from './commands/create.js';
import { runCommand } from './commands/run.js';
import { parseFast } from './fast-args.js';
import { reportFailure } from './failure.js';
import { applyLogging, type GlobalArgs } from './globals.js';

const COMMANDS = { create: createCommand, run: runCommand } as const;

const fast = parseFast(process.argv.slice(2));
const command = fast && Object.hasOwn(COMMANDS, fast.verb) ? COMMANDS[fast.verb as keyof typeof COMMANDS] : undefined;
if (!fast || !command) throw new Error('keel-create.cjs runs only create and run in their plain shapes (entry.ts checks before loading it)');
const argv = fast.argv as unknown as GlobalArgs;
applyLogging(argv);
Promise.resolve()
  .then(() => command.handler(argv as never))
  .catch(reportFailure);
