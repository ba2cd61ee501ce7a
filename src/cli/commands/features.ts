import type { CommandModule } from 'yargs';

import type { GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';

export const featuresCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'features',
  describe: 'print what this keel supports, as JSON (runtime-spec features)',
  handler: async (argv) => {
    const { features, readFeatureFacts } = await import('../../features.js');
    writeStdout(JSON.stringify(features(readFeatureFacts(argv.criu)), null, 2) + '\n');
  },
};
