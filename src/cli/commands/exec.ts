import type { Argv, CommandModule } from 'yargs';

import { EXEC_FLAGS, PARSER_CONFIG } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';

interface ExecArgs extends GlobalArgs {
  'container-id': string;
  '--'?: (string | number)[];
  apparmor?: string;
  'process-label'?: string;
  process?: string;
  env?: string | string[];
  cwd?: string;
  user?: string;
  'additional-gids'?: number | number[];
  cap?: string | string[];
  'no-new-privs': boolean;
  tty: boolean;
  'console-socket'?: string;
  detach: boolean;
  'pid-file'?: string;
  'preserve-fds': number;
  'ignore-paused': boolean;
  cgroup?: string | string[];
}

export const execCommand: CommandModule<GlobalArgs, ExecArgs> = {
  command: 'exec <container-id> [command...]',
  describe: 'run a process inside a running container',
  builder: (y) =>
    (y as Argv<GlobalArgs>)
      // The command comes after "--" (see prepareArgs), which yargs keeps apart in argv['--'].
      .parserConfiguration({ ...PARSER_CONFIG, 'populate--': true })
      .positional('container-id', { type: 'string', demandOption: true })
      .options(EXEC_FLAGS) as never,
  handler: async (argv) => {
    const { execInContainer } = await import('../../container/exec.js');
    process.exitCode = await execInContainer(storeOf(argv), {
      id: argv['container-id'],
      processFile: argv.process,
      args: (argv['--'] ?? []).map(String),
      env: list(argv.env),
      cwd: argv.cwd,
      user: argv.user,
      additionalGids: list(argv['additional-gids']),
      caps: list(argv.cap),
      noNewPrivs: argv['no-new-privs'],
      tty: argv.tty,
      consoleSocket: argv['console-socket'],
      detach: argv.detach,
      pidFile: argv['pid-file'],
      preserveFds: argv['preserve-fds'],
      ignorePaused: argv['ignore-paused'],
      apparmor: argv.apparmor,
      processLabel: argv['process-label'],
      cgroups: list(argv.cgroup),
    });
  },
};

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
