/**
 * The full command line, through yargs: every verb, help, version and the usage errors. The hot
 * verbs in their plain shapes never get here (fast-args.ts); this module, and yargs with it, is
 * loaded only for everything else.
 */
import yargs, { type CommandModule } from 'yargs';

import { SPEC_VERSION } from '../spec/version.js';
import { KeelError } from '../util/errors.js';
import { checkpointCommand } from './commands/checkpoint.js';
import { createCommand } from './commands/create.js';
import { deleteCommand } from './commands/delete.js';
import { eventsCommand } from './commands/events.js';
import { execCommand } from './commands/exec.js';
import { explainCommand, validateCommand } from './commands/explain.js';
import { featuresCommand } from './commands/features.js';
import { killCommand } from './commands/kill.js';
import { listCommand } from './commands/list.js';
import { pauseCommand } from './commands/pause.js';
import { psCommand } from './commands/ps.js';
import { restoreCommand } from './commands/restore.js';
import { resumeCommand } from './commands/resume.js';
import { runCommand } from './commands/run.js';
import { specCommand } from './commands/spec.js';
import { startCommand } from './commands/start.js';
import { stateCommand } from './commands/state.js';
import { updateCommand } from './commands/update.js';
import { PARSER_CONFIG } from './flags.js';
import { applyLogging, applyLoggingFromRawArgs, globalOptions, type GlobalArgs } from './globals.js';
import { flagMissingValue, valueFlagNames, type ParsedOptions } from './missing-value.js';
import { KEEL_VERSION } from './version.js';
import { prepareArgs } from './raw-args.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<GlobalArgs, any>;

export const COMMANDS: readonly AnyCommand[] = [
  createCommand, startCommand, runCommand, stateCommand, killCommand, deleteCommand, listCommand, execCommand, psCommand,
  updateCommand, eventsCommand, pauseCommand, resumeCommand, specCommand, featuresCommand, validateCommand, explainCommand,
  checkpointCommand, restoreCommand,
];

/** The yargs parser over `args` (the arguments after "keel"); tests pass commands whose handlers only record. */
export function buildCli(args: string[], commands: readonly AnyCommand[] = COMMANDS) {
  const prepared = prepareArgs(args);
  let cli = globalOptions(yargs(prepared));
  // Asked where yargs has the command's options: before its checks (middleware), and when a
  // check fails first (a positional it misses is found before any middleware runs).
  const refuseMissingValue = () => {
    const flag = flagMissingValue(prepared, valueFlagNames((cli as unknown as { getOptions(): ParsedOptions }).getOptions()));
    if (flag) throw new KeelError(`flag needs an argument: ${flag}`);
  };
  cli = cli
    .parserConfiguration(PARSER_CONFIG)
    .scriptName('keel')
    .usage('keel: an OCI runtime\n\nUsage: keel [global options] <command> [options]')
    .middleware(applyLogging)
    // Before yargs' own checks, as runc's flag parsing comes before its arguments' (podman runs
    // `restore --lsm-mount-context` alone and looks for this answer).
    .middleware(refuseMissingValue, true);
  for (const command of commands) cli = cli.command(command);
  cli = cli
    .demandCommand(1, 'no command given: run "keel --help" for the list')
    .strict()
    .strictCommands()
    .version(`keel version ${KEEL_VERSION}\nspec: ${SPEC_VERSION}`)
    .alias('version', 'v')
    .help()
    .alias('help', 'h')
    .wrap(100)
    .fail((msg, err) => {
      if (!err) refuseMissingValue();
      throw err ?? new KeelError(usageMessage(msg));
    });
  skipHelpPrerender(cli);
  return cli;
}

export async function runYargs(args: string[]): Promise<void> {
  applyLoggingFromRawArgs(args);
  await buildCli(args).parseAsync();
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
