import type { Argv } from 'yargs';

import { isRootless, processRootlessFacts } from '../host/rootless.js';
import { defaultStateRoot } from '../state/default-root.js';
import { StateStore } from '../state/store.js';
import { Logger, setLogger, type LogFormat } from '../util/log.js';
import { GLOBAL_FLAGS } from './flags.js';

/** runc's global flags. Engines put them before the subcommand, in either `--flag value` or `--flag=value` form. */
export interface GlobalArgs {
  /** --root; absent: defaultStateRoot's choice. */
  root?: string;
  log?: string;
  'log-format': LogFormat;
  debug: boolean;
  'systemd-cgroup': boolean;
  rootless: string;
  /** runc's --criu: the CRIU binary checkpoint and restore run (default: criu on PATH). */
  criu?: string;
}

export function globalOptions(y: Argv): Argv<GlobalArgs> {
  return y.options(GLOBAL_FLAGS) as unknown as Argv<GlobalArgs>;
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
  return new StateStore(argv.root ?? defaultStateRoot(processRootlessFacts()));
}

/** Whether this keel runs rootless (--rootless, runc's auto rule by default: host/rootless.ts). */
export function rootlessOf(argv: GlobalArgs): boolean {
  return isRootless(argv.rootless, processRootlessFacts());
}
