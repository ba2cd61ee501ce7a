import type { Argv, CommandModule } from 'yargs';

import type { CreateOptions } from '../../container/create.js';
import { CREATE_FLAGS } from '../flags.js';
import { type GlobalArgs, rootlessOf, storeOf } from '../globals.js';

export interface CreateArgs extends GlobalArgs {
  'container-id': string;
  bundle: string;
  'pid-file'?: string;
  'console-socket'?: string;
  'preserve-fds': number;
  'no-new-keyring'?: boolean;
}

/** The flags `create` and `run` share, including the ones runc accepts that keel has no use for. */
export function createOptions(y: Argv<GlobalArgs>): Argv<CreateArgs> {
  return y.positional('container-id', { type: 'string', demandOption: true, describe: 'unique name of the container' }).options(CREATE_FLAGS) as unknown as Argv<CreateArgs>;
}

/** The create options in a parsed command line (shared by create and run). */
export function createOptionsOf(argv: CreateArgs): CreateOptions {
  return {
    id: argv['container-id'],
    bundle: argv.bundle,
    pidFile: argv['pid-file'],
    consoleSocket: argv['console-socket'],
    preserveFds: argv['preserve-fds'],
    systemdCgroup: argv['systemd-cgroup'],
    rootless: rootlessOf(argv),
    noNewKeyring: argv['no-new-keyring'],
  };
}

export const createCommand: CommandModule<GlobalArgs, CreateArgs> = {
  command: 'create <container-id>',
  describe: 'create a container; it waits for "keel start" to run its process',
  builder: createOptions,
  handler: async (argv) => {
    const { createContainer } = await import('../../container/create.js');
    await createContainer(storeOf(argv), createOptionsOf(argv));
  },
};
