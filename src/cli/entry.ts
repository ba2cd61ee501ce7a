/**
 * keel's executable (dist/keel.cjs). It is CommonJS, not an ES module, because Node starts a
 * CommonJS file several milliseconds sooner (no ES module loader, no module facades for node:fs),
 * and `state`, which engines call over and over, should cost little more than Node's own start.
 * So this file holds only what the light verbs (state, list, start, kill, delete) need in their
 * plain runc-style shapes (fast-args.ts). `create` and `run` in those shapes are parsed here too
 * and run with the code of dist/keel-create.cjs (create-entry.ts); any other command line is
 * handed to the full command line in dist/keel-full.cjs (main.ts), which parses it again from
 * scratch. Both bundles load with their code caches (load-bundle.ts).
 */
import { join } from 'node:path';

import { warmCgroupAttach } from '../cgroups/attach-warmup.js';
import { deleteCommand, killCommand, listCommand, startCommand, stateCommand } from './commands/lifecycle.js';
import { parseFast } from './fast-args.js';
import { requireBundle } from './load-bundle.js';
import { runParsed, type ParsedCommand } from './run-parsed.js';

const LIGHT_COMMANDS: Record<string, ParsedCommand> = {
  state: stateCommand,
  start: startCommand,
  delete: deleteCommand,
  kill: killCommand,
  list: listCommand,
};

const fast = process.env.KEEL_NO_FAST_PATH === undefined ? parseFast(process.argv.slice(2)) : undefined;
if (fast && Object.hasOwn(LIGHT_COMMANDS, fast.verb)) {
  runParsed(LIGHT_COMMANDS[fast.verb]!, fast);
} else {
  // Verbs that move a process into a cgroup; the guess only has to be right most of the time.
  if (['create', 'run', 'exec'].some((verb) => process.argv.includes(verb))) warmCgroupAttach();
  if (fast && (fast.verb === 'create' || fast.verb === 'run')) {
    const { runCreateCommand } = requireBundle(join(__dirname, 'keel-create.cjs')) as typeof import('./create-entry.js');
    runCreateCommand(fast);
  } else {
    requireBundle(join(__dirname, 'keel-full.cjs'));
  }
}
