import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CommandModule } from 'yargs';

import { KeelError } from '../../util/errors.js';
import type { GlobalArgs } from '../globals.js';

interface SpecArgs extends GlobalArgs {
  bundle: string;
}

export const specCommand: CommandModule<GlobalArgs, SpecArgs> = {
  command: 'spec',
  describe: 'write a default config.json into the bundle directory',
  builder: (y) =>
    y
      .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' }) as never,
  handler: async (argv) => {
    const { defaultSpec } = await import('../../spec/default.js');
    const file = join(argv.bundle, 'config.json');
    if (existsSync(file)) throw new KeelError(`${file} already exists: remove it first, keel does not overwrite it`);
    // `--rootless` is also runc's global flag (true|false|auto); given bare to `spec` it means true (prepareArgs).
    const rootless = argv.rootless === 'true';
    writeFileSync(file, JSON.stringify(defaultSpec({ rootless }), null, '\t') + '\n');
  },
};
