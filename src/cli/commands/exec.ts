import type { Argv, CommandModule } from 'yargs';

import { PARSER_CONFIG } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';

interface ExecArgs extends GlobalArgs {
  'container-id': string;
  '--'?: (string | number)[];
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
      .option('process', { alias: 'p', type: 'string', describe: 'a process.json to run instead of a command' })
      // Repeatable, one value each (an array option would swallow the container id after it).
      .option('env', { alias: 'e', type: 'string', describe: 'add an environment variable (NAME=value); repeatable' })
      .option('cwd', { type: 'string', describe: 'working directory in the container' })
      .option('user', { alias: 'u', type: 'string', describe: 'uid[:gid]' })
      .option('additional-gids', { alias: 'g', type: 'number', describe: 'an additional group id; repeatable' })
      .option('cap', { alias: 'c', type: 'string', describe: 'add a capability; repeatable' })
      .option('no-new-privs', { type: 'boolean', default: false })
      .option('tty', { alias: 't', type: 'boolean', default: false })
      .option('console-socket', { type: 'string' })
      .option('detach', { alias: 'd', type: 'boolean', default: false })
      .option('pid-file', { type: 'string' })
      .option('preserve-fds', { type: 'number', default: 0 })
      .option('ignore-paused', { type: 'boolean', default: false })
      .option('apparmor', { type: 'string', describe: 'AppArmor profile for the process (where the host runs AppArmor)' })
      .option('process-label', { type: 'string', describe: 'SELinux label for the process (where the host runs SELinux)' })
      .option('cgroup', { type: 'string', describe: 'join an existing sub-cgroup: [controller,...:]path; repeatable' }) as never,
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
      apparmor: argv.apparmor as string | undefined,
      processLabel: argv['process-label'] as string | undefined,
      cgroups: list(argv.cgroup),
    });
  },
};

function list<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
