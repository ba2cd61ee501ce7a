import type { CommandModule } from 'yargs';

import { storeOf, type GlobalArgs } from '../globals.js';
import { withId, type IdArgs } from './container-id.js';

export const startCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'start <container-id>',
  describe: 'run the process of a created container',
  builder: withId,
  handler: async (argv) => {
    const { startContainer } = await import('../../container/start.js');
    await startContainer(storeOf(argv), argv['container-id']);
  },
};
