import type { CommandModule } from 'yargs';

import { DELETE_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { withId, type IdArgs } from './container-id.js';

interface DeleteArgs extends IdArgs {
  force: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: 'delete <container-id>',
  describe: 'delete a stopped container (--force: kill it first)',
  builder: (y) => withId<DeleteArgs>(y).options(DELETE_FLAGS) as never,
  handler: async (argv) => {
    const { deleteContainer } = await import('../../container/delete.js');
    await deleteContainer(storeOf(argv), argv['container-id'], argv.force);
  },
};
