/**
 * keel's executable (dist/keel.cjs). It is CommonJS, not an ES module, because Node starts a
 * CommonJS file several milliseconds sooner (no ES module loader, no module facades for node:fs),
 * and `state`, which engines call over and over, should cost little more than Node's own start.
 * So this file holds only what the light verbs (state, list, start, kill, delete) need in their
 * plain runc-style shapes (fast-args.ts). `create`, `run` and `exec` in those shapes are parsed here
 * too and run with the code of dist/keel-spawn.cjs (spawn-entry.ts); any other command line is
 * handed to the full command line in dist/keel-full.cjs (main.ts), which parses it again from
 * scratch. Both bundles load with their code caches (code-bundle.ts).
 */
import { join } from 'node:path';

import { warmCgroupAttach } from '../cgroups/attach-warmup.js';
import { stashCallerFdsRecord } from '../container/caller-fds.js';
import { deleteCommand } from './commands/delete.js';
import { killCommand } from './commands/kill.js';
import { listCommand } from './commands/list.js';
import { startCommand } from './commands/start.js';
import { stateCommand } from './commands/state.js';
import { parseFast } from './fast-args.js';
import { requireBundle } from './code-bundle.js';
import { runParsed, type ParsedCommand } from './run-parsed.js';

const LIGHT_COMMANDS: Record<string, ParsedCommand> = {
  state: stateCommand,
  start: startCommand,
  delete: deleteCommand,
  kill: killCommand,
  list: listCommand,
};

/** The verbs of keel-spawn.cjs, which all move a process into the container's cgroups. */
const SPAWN_VERBS = new Set(['create', 'run', 'exec']);

stashCallerFdsRecord();
const fast = process.env.KEEL_NO_FAST_PATH === undefined ? parseFast(process.argv.slice(2)) : undefined;
if (fast && Object.hasOwn(LIGHT_COMMANDS, fast.verb)) {
  runParsed(LIGHT_COMMANDS[fast.verb]!, fast);
} else {
  // A guess from the raw arguments, before any parse: it only has to be right most of the time.
  if ([...SPAWN_VERBS].some((verb) => process.argv.includes(verb))) warmCgroupAttach();
  if (fast && SPAWN_VERBS.has(fast.verb)) {
    const { runSpawnCommand } = requireBundle(join(__dirname, 'keel-spawn.cjs')) as typeof import('./spawn-entry.js');
    runSpawnCommand(fast);
  } else {
    requireBundle(join(__dirname, 'keel-full.cjs'));
  }
}
