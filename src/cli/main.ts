/**
 * keel's command line: runc's verbs and flags, so that engines can swap runc for keel unchanged.
 * Each verb's code is imported only when that verb runs, to keep every invocation's start cheap.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';

import { KeelError } from '../util/errors.js';
import { log } from '../util/log.js';
import { createCommand } from './commands/create.js';
import { eventsCommand } from './commands/events.js';
import { execCommand } from './commands/exec.js';
import { prepareArgs } from './raw-args.js';
import { explainCommand, validateCommand } from './commands/explain.js';
import { deleteCommand, featuresCommand, killCommand, listCommand, pauseCommand, psCommand, resumeCommand, startCommand, stateCommand } from './commands/lifecycle.js';
import { runCommand } from './commands/run.js';
import { specCommand } from './commands/spec.js';
import { updateCommand } from './commands/update.js';
import { applyLogging, applyLoggingFromRawArgs, globalOptions } from './globals.js';

export const KEEL_VERSION = '0.1.0';

async function main(): Promise<void> {
  applyLoggingFromRawArgs(hideBin(process.argv));
  const cli = globalOptions(yargs(prepareArgs(hideBin(process.argv))))
    .scriptName('keel')
    .usage('keel: an OCI runtime\n\nUsage: keel [global options] <command> [options]')
    .middleware(applyLogging)
    .command(createCommand)
    .command(startCommand)
    .command(runCommand)
    .command(stateCommand)
    .command(killCommand)
    .command(deleteCommand)
    .command(listCommand)
    .command(execCommand)
    .command(psCommand)
    .command(updateCommand)
    .command(eventsCommand)
    .command(pauseCommand)
    .command(resumeCommand)
    .command(specCommand)
    .command(featuresCommand)
    .command(validateCommand)
    .command(explainCommand)
    .demandCommand(1, 'no command given: run "keel --help" for the list')
    .strict()
    .strictCommands()
    .version(`keel version ${KEEL_VERSION}\nspec: 1.3.0`)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .wrap(100)
    .fail((msg, err) => {
      throw err ?? new KeelError(usageMessage(msg));
    });
  skipHelpPrerender(cli);
  await cli.parseAsync();
}

/**
 * After every command, yargs renders the whole help text in case a later failure wants to print it.
 * keel's failures are one line (see .fail above), so that text is never shown; rendering it cost
 * about 25 ms of every invocation. `--help` renders its own text and is unaffected.
 */
function skipHelpPrerender(cli: object): void {
  const internals = (cli as { getInternalMethods(): { getUsageInstance(): { cacheHelpMessage(): void } } }).getInternalMethods();
  internals.getUsageInstance().cacheHelpMessage = () => {};
}

/** yargs lists every word after an unknown verb ("Unknown commands: exec, c1"); name the verb alone. */
function usageMessage(msg: string): string {
  const unknownVerb = /^Unknown commands?: ([^,\s]+)/.exec(msg);
  return unknownVerb ? `unknown command "${unknownVerb[1]}": run "keel --help" for the list` : msg;
}

main().catch((err: unknown) => {
  if (err instanceof KeelError) {
    log().error(err.message);
  } else {
    const e = err as Error;
    log().error(`internal error: ${e?.message ?? String(err)}${log().debugEnabled ? `\n${e?.stack ?? ''}` : ' (run with --debug for the stack)'}`);
  }
  process.exitCode = 1;
});
