import type { Argv, CommandModule } from 'yargs';

import { RUN_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { createOptions, createOptionsOf, type CreateArgs } from './create.js';

interface RunArgs extends CreateArgs {
  detach: boolean;
  keep: boolean;
}

export const runCommand: CommandModule<GlobalArgs, RunArgs> = {
  command: 'run <container-id>',
  describe: 'create and start a container; in the foreground, exit with its status',
  builder: (y) =>
    createOptions(y).options(RUN_FLAGS) as unknown as Argv<RunArgs>,
  handler: async (argv) => {
    const { runContainer } = await import('../../container/run.js');
    process.exitCode = await runContainer(storeOf(argv), {
      ...createOptionsOf(argv),
      detach: argv.detach,
      keep: argv.keep,
    });
  },
};
