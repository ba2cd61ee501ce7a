import type { Argv } from 'yargs';

import { DEFAULT_ROOT, StateStore } from '../state/store.js';
import { Logger, setLogger, type LogFormat } from '../util/log.js';

/** runc's global flags. Engines put them before the subcommand, in either `--flag value` or `--flag=value` form. */
export interface GlobalArgs {
  root: string;
  log?: string;
  'log-format': LogFormat;
  debug: boolean;
  'systemd-cgroup': boolean;
  rootless: string;
}

export function globalOptions(y: Argv): Argv<GlobalArgs> {
  return y
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state', global: true })
    .option('log', { type: 'string', describe: 'append log lines to this file', global: true })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as LogFormat, describe: 'format of the --log file', global: true })
    .option('debug', { type: 'boolean', default: false, describe: 'say what keel is doing, step by step, with timings', global: true })
    .option('systemd-cgroup', { type: 'boolean', default: false, describe: 'cgroupsPath is slice:prefix:name, managed through systemd', global: true })
    .option('rootless', { type: 'string', default: 'auto', describe: 'rootless mode: true, false or auto (accepted for runc compatibility)', global: true })
    .option('criu', { type: 'string', hidden: true, global: true }) as unknown as Argv<GlobalArgs>;
}

export function applyLogging(argv: GlobalArgs): void {
  setLogger(new Logger(argv.log, argv['log-format'], argv.debug));
}

/**
 * The logger as the raw arguments ask for it, before yargs has parsed them: a usage error (an
 * unknown verb or flag) must also reach the --log file, because that file is where containerd
 * looks for the reason a runtime call failed ("unable to retrieve OCI runtime error" otherwise).
 */
export function applyLoggingFromRawArgs(args: string[]): void {
  const value = (name: string): string | undefined => {
    for (let i = 0; i < args.length; i++) {
      if (args[i] === `--${name}`) return args[i + 1];
      if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
    }
    return undefined;
  };
  const format = value('log-format') === 'json' ? 'json' : 'text';
  setLogger(new Logger(value('log'), format, args.includes('--debug')));
}

export function storeOf(argv: GlobalArgs): StateStore {
  return new StateStore(argv.root);
}
