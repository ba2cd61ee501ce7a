import type { CommandModule } from 'yargs';

import { KILL_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { withId, type IdArgs } from './container-id.js';

interface KillArgs extends IdArgs {
  signal: string;
  all: boolean;
}

export const killCommand: CommandModule<GlobalArgs, KillArgs> = {
  command: 'kill <container-id> [signal]',
  describe: 'send a signal (default TERM) to the container init',
  builder: (y) =>
    withId<KillArgs>(y).positional('signal', { type: 'string', default: 'SIGTERM' }).options(KILL_FLAGS) as never,
  handler: async (argv) => {
    const [{ killContainer }, { parseSignal }] = await Promise.all([import('../../container/kill.js'), import('../../container/signals.js')]);
    await killContainer(storeOf(argv), argv['container-id'], parseSignal(argv.signal), argv.all);
  },
};
