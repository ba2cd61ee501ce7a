import type { CommandModule } from 'yargs';

import { storeOf, type GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';
import { withId, type IdArgs } from './container-id.js';

export const stateCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'state <container-id>',
  describe: 'print the state of a container as JSON',
  builder: withId,
  handler: async (argv) => {
    const { containerState } = await import('../../container/state.js');
    writeStdout(JSON.stringify(containerState(storeOf(argv), argv['container-id']), null, 2) + '\n');
  },
};
