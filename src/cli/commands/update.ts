import type { CommandModule } from 'yargs';

import type { UpdateFlags } from '../../cgroups/update-flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';

interface UpdateArgs extends GlobalArgs, UpdateFlags {
  'container-id': string;
  resources?: string;
}

export const updateCommand: CommandModule<GlobalArgs, UpdateArgs> = {
  command: 'update <container-id>',
  describe: "change a running container's limits (--resources FILE, or - for stdin, and runc's flags)",
  builder: (y) =>
    y
      .positional('container-id', { type: 'string', demandOption: true })
      .option('resources', { alias: 'r', type: 'string', describe: 'linux.resources JSON: a file, or - for stdin' })
      .option('memory', { type: 'string' })
      .option('memory-swap', { type: 'string' })
      .option('memory-reservation', { type: 'string' })
      .option('cpu-quota', { type: 'number' })
      .option('cpu-period', { type: 'number' })
      .option('cpu-share', { type: 'number' })
      .option('cpuset-cpus', { type: 'string' })
      .option('cpuset-mems', { type: 'string' })
      .option('pids-limit', { type: 'number' })
      .option('blkio-weight', { type: 'number' })
      .option('kernel-memory', { type: 'string', hidden: true })
      .option('kernel-memory-tcp', { type: 'string', hidden: true }) as never,
  handler: async (argv) => {
    const [{ resourcesFromFlags }, { updateResources }, { updateContainer }] = await Promise.all([
      import('../../cgroups/update-flags.js'),
      import('../../container/update.js'),
      import('../../container/cgroup-verbs.js'),
    ]);
    await updateContainer(storeOf(argv), argv['container-id'], updateResources(argv.resources, resourcesFromFlags(argv)));
  },
};
