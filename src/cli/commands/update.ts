import { readFileSync } from 'node:fs';
import type { CommandModule } from 'yargs';

import type { UpdateFlags } from '../../cgroups/update-flags.js';
import { KeelError } from '../../util/errors.js';
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
    const [{ resourcesFromFlags }, { updateContainer }, { validateConfig }, { ConfigError, pointerUnder }] = await Promise.all([
      import('../../cgroups/update-flags.js'),
      import('../../container/cgroup-verbs.js'),
      import('../../spec/validate.js'),
      import('../../spec/problem.js'),
    ]);
    let resources = resourcesFromFlags(argv);
    if (argv.resources !== undefined) {
      const source = argv.resources === '-' ? 0 : argv.resources;
      let given: unknown;
      try {
        given = JSON.parse(readFileSync(source, 'utf8'));
      } catch (err) {
        throw new KeelError(`--resources ${argv.resources}: ${err instanceof SyntaxError ? `invalid JSON: ${err.message}` : (err as Error).message}`);
      }
      // The same schema as config.json's linux.resources: a value of the wrong type never reaches a cgroup file.
      const [problem] = validateConfig({ ociVersion: '1.3.0', linux: { resources: given } });
      if (problem) throw new ConfigError(pointerUnder('/linux/resources', problem.path), problem.message, `--resources ${argv.resources}`);
      resources = { ...(given as object), ...resources };
    }
    await updateContainer(storeOf(argv), argv['container-id'], resources);
  },
};
