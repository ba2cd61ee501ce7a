/**
 * keel's command line: runc's verbs and flags, so that engines can swap runc for keel unchanged.
 * The verbs engines call over and over, in their plain shapes, are read by a tiny parser of our own
 * and run without loading yargs (fast-args.ts); everything else goes through yargs (yargs-cli.ts).
 * Each verb's code is imported only when that verb runs, to keep every invocation's start cheap.
 */
import type { CommandModule } from 'yargs';

import { createCommand } from './commands/create.js';
import { deleteCommand, killCommand, listCommand, startCommand, stateCommand } from './commands/lifecycle.js';
import { runCommand } from './commands/run.js';
import { parseFast } from './fast-args.js';
import { reportFailure } from './failure.js';
import { applyLogging, type GlobalArgs } from './globals.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const HOT_COMMANDS: Record<string, CommandModule<GlobalArgs, any>> = {
  state: stateCommand,
  start: startCommand,
  delete: deleteCommand,
  kill: killCommand,
  list: listCommand,
  create: createCommand,
  run: runCommand,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const fast = parseFast(args);
  if (fast && process.env.KEEL_NO_FAST_PATH === undefined) {
    const argv = fast.argv as unknown as GlobalArgs;
    applyLogging(argv);
    await HOT_COMMANDS[fast.verb]!.handler(argv as never);
    return;
  }
  const { runYargs } = await import('./yargs-cli.js');
  await runYargs(args);
}

main().catch(reportFailure);
