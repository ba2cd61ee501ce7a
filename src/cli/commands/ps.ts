import type { CommandModule } from 'yargs';

import { PARSER_CONFIG } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';
import { withId, type IdArgs } from './container-id.js';

interface PsArgs extends IdArgs {
  format: 'table' | 'json';
  '--'?: (string | number)[];
}

export const psCommand: CommandModule<GlobalArgs, PsArgs> = {
  command: 'ps <container-id> [ps-options...]',
  describe: "list the container's processes (--format json: their PIDs)",
  builder: (y) =>
    withId<PsArgs>(y)
      // ps's own options come after "--" (see prepareArgs), which yargs keeps in argv['--'].
      .parserConfiguration({ ...PARSER_CONFIG, 'populate--': true })
      .option('format', { alias: 'f', choices: ['table', 'json'] as const, default: 'table' as const }) as never,
  handler: async (argv) => {
    const { containerPids, psTable } = await import('../../container/cgroup-verbs.js');
    const pids = containerPids(storeOf(argv), argv['container-id']);
    writeStdout(argv.format === 'json' ? JSON.stringify(pids) + '\n' : psTable(pids, (argv['--'] ?? []).map(String)));
  },
};
