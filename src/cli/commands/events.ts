import type { CommandModule } from 'yargs';

import { storeOf, type GlobalArgs } from '../globals.js';

interface EventsArgs extends GlobalArgs {
  'container-id': string;
  stats: boolean;
  interval: string;
}

export const eventsCommand: CommandModule<GlobalArgs, EventsArgs> = {
  command: 'events <container-id>',
  describe: "print the container's resource usage and OOM kills as JSON lines (--stats: one stats line, then exit)",
  builder: (y) =>
    y
      .option('stats', { type: 'boolean', default: false, describe: 'print the stats once and exit' })
      .option('interval', { type: 'string', default: '5s', describe: 'time between stats lines (a duration: 5s, 500ms)' }) as never,
  handler: async (argv) => {
    const { containerStatsLine, parseDuration, streamEvents } = await import('../../container/events.js');
    const store = storeOf(argv);
    if (argv.stats) {
      process.stdout.write(containerStatsLine(store, argv['container-id']) + '\n');
      return;
    }
    const interval = parseDuration(argv.interval);
    await streamEvents(store, argv['container-id'], interval, (line) => process.stdout.write(line + '\n'));
  },
};
