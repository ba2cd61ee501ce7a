import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';

import { KeelError } from '../../util/errors.js';
import type { GlobalArgs } from '../globals.js';

interface SpecArgs extends GlobalArgs {
  bundle: string;
  rootless: string;
}

export const specCommand: CommandModule<GlobalArgs, SpecArgs> = {
  command: 'spec',
  describe: 'write a default config.json into the bundle directory',
  builder: (y) =>
    y
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' })
      .option('rootless', { type: 'boolean', default: false, describe: 'a config for a container run by an unprivileged user' }) as never,
  handler: async (argv) => {
    const { defaultSpec } = await import('../../spec/default.js');
    const file = join(argv.bundle, 'config.json');
    if (existsSync(file)) throw new KeelError(`${file} already exists: remove it first, keel does not overwrite it`);
    writeFileSync(file, JSON.stringify(defaultSpec({ rootless: Boolean(argv.rootless) }), null, '\t') + '\n');
  },
};
