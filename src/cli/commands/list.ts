import type { CommandModule } from 'yargs';

import { LIST_FLAGS } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';

interface ListArgs extends GlobalArgs {
  quiet: boolean;
  format: 'table' | 'json';
}

export const listCommand: CommandModule<GlobalArgs, ListArgs> = {
  command: 'list',
  describe: 'list the containers under --root',
  builder: (y) => y.options(LIST_FLAGS) as never,
  handler: async (argv) => {
    const { formatTable, listContainers } = await import('../../container/list.js');
    const rows = listContainers(storeOf(argv));
    if (argv.quiet) writeStdout(rows.map((r) => r.id + '\n').join(''));
    else if (argv.format === 'json') writeStdout(JSON.stringify(rows.length ? rows : null) + '\n');
    else writeStdout(formatTable(rows));
  },
};
