/** The small verbs that act on one existing container. */
import type { Argv, CommandModule } from 'yargs';

import { DELETE_FLAGS, KILL_FLAGS, LIST_FLAGS, PARSER_CONFIG } from '../flags.js';
import { storeOf, type GlobalArgs } from '../globals.js';
import { writeStdout } from '../output.js';

interface IdArgs extends GlobalArgs {
  'container-id': string;
}

/** Declared as a string, so that an id like "1e3" or "0x10" is not read as a number. */
function withId<T>(y: Argv<GlobalArgs>): Argv<T> {
  return y.positional('container-id', { type: 'string', demandOption: true }) as unknown as Argv<T>;
}

export const startCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'start <container-id>',
  describe: 'run the process of a created container',
  builder: withId,
  handler: async (argv) => {
    const { startContainer } = await import('../../container/start.js');
    await startContainer(storeOf(argv), argv['container-id']);
  },
};

export const stateCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'state <container-id>',
  describe: 'print the state of a container as JSON',
  builder: withId,
  handler: async (argv) => {
    const { containerState } = await import('../../container/state.js');
    writeStdout(JSON.stringify(containerState(storeOf(argv), argv['container-id']), null, 2) + '\n');
  },
};

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

interface DeleteArgs extends IdArgs {
  force: boolean;
}

export const deleteCommand: CommandModule<GlobalArgs, DeleteArgs> = {
  command: 'delete <container-id>',
  describe: 'delete a stopped container (--force: kill it first)',
  builder: (y) => withId<DeleteArgs>(y).options(DELETE_FLAGS) as never,
  handler: async (argv) => {
    const { deleteContainer } = await import('../../container/delete.js');
    await deleteContainer(storeOf(argv), argv['container-id'], argv.force);
  },
};

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

export const featuresCommand: CommandModule<GlobalArgs, GlobalArgs> = {
  command: 'features',
  describe: 'print what this keel supports, as JSON (runtime-spec features)',
  handler: async () => {
    const { features, readFeatureFacts } = await import('../../features.js');
    writeStdout(JSON.stringify(features(readFeatureFacts()), null, 2) + '\n');
  },
};

export const pauseCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'pause <container-id>',
  describe: 'freeze every process of a running container',
  builder: withId,
  handler: async (argv) => {
    const { setPaused } = await import('../../container/pause.js');
    await setPaused(storeOf(argv), argv['container-id'], true);
  },
};

export const resumeCommand: CommandModule<GlobalArgs, IdArgs> = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container',
  builder: withId,
  handler: async (argv) => {
    const { setPaused } = await import('../../container/pause.js');
    await setPaused(storeOf(argv), argv['container-id'], false);
  },
};

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
