import type { Argv, CommandModule } from 'yargs';

import type { CheckpointFlags } from '../../criu/options.js';
import { CHECKPOINT_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';

interface CheckpointArgs extends GlobalArgs, CheckpointFlags {
  'container-id': string;
}

export const checkpointCommand: CommandModule<GlobalArgs, CheckpointArgs> = {
  command: 'checkpoint <container-id>',
  describe: "save a running container's processes with CRIU (then stop it, unless --leave-running or --pre-dump)",
  builder: (y) => y.positional('container-id', { type: 'string', demandOption: true }).options(CHECKPOINT_FLAGS) as unknown as Argv<CheckpointArgs>,
  handler: async (argv) => {
    const [{ checkpointOptions }, { checkpointContainer }] = await Promise.all([import('../../criu/options.js'), import('../../container/checkpoint.js')]);
    const opts = checkpointOptions(argv, process.cwd());
    await checkpointContainer(storeOf(argv), argv['container-id'], opts, argv.criu);
  },
};
