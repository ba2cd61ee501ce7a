import type { CommandModule } from 'yargs';

import { storeOf, type GlobalArgs } from '../globals.js';
import { withId, type IdArgs } from './container-id.js';

export const pauseCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'pause <container-id>',
  describe: 'freeze every process of a running container',
  builder: withId,
  handler: async (argv) => {
    const { setPaused } = await import('../../container/pause.js');
    await setPaused(storeOf(argv), argv['container-id'], true);
  },
};
