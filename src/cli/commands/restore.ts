import type { Argv, CommandModule } from 'yargs';

import type { RestoreFlags } from '../../criu/options.js';
import { RESTORE_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';

interface RestoreArgs extends GlobalArgs, RestoreFlags {
  'container-id': string;
  bundle: string;
  detach: boolean;
  'pid-file'?: string;
  'console-socket'?: string;
}

export const restoreCommand: CommandModule<GlobalArgs, RestoreArgs> = {
  command: 'restore <container-id>',
  describe: 'a new container from a bundle, its processes brought back by CRIU from a checkpoint',
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }).options(RESTORE_FLAGS) as unknown as Argv<RestoreArgs>,
  handler: async (argv) => {
    const [{ restoreOptions }, { restoreContainer }] = await Promise.all([import('../../criu/options.js'), import('../../container/restore.js')]);
    const opts = restoreOptions(argv, process.cwd());
    const target = { id: argv['container-id'], bundle: argv.bundle, pidFile: argv['pid-file'], consoleSocket: argv['console-socket'], detach: argv.detach };
    process.exitCode = await restoreContainer(storeOf(argv), target, opts, argv.criu);
  },
};
