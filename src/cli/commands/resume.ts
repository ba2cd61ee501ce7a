import type { CommandModule } from 'yargs';

import { storeOf, type GlobalArgs } from '../globals.js';
import { withId, type IdArgs } from './container-id.js';

export const resumeCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container',
  builder: withId,
  handler: async (argv) => {
    const { setPaused } = await import('../../container/pause.js');
    await setPaused(storeOf(argv), argv['container-id'], false);
  },
};
