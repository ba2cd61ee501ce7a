/**
 * keel's executable (dist/keel.cjs). It is CommonJS, not an ES module, because Node starts a
 * CommonJS file several milliseconds sooner (no ES module loader, no module facades for node:fs),
 * and `state`, which engines call over and over, should cost little more than Node's own start.
 * So this file holds only what the light verbs (state, list, start, kill, delete) need in their
 * plain runc-style shapes (fast-args.ts). `create` and `run` in those shapes go to
 * dist/keel-create.cjs (create-entry.ts); any other command line is handed to the full command
 * line in dist/keel-full.cjs (main.ts), which parses it again from scratch. Both run with their
 * code caches (load-bundle.ts).
 */
import { join } from 'node:path';

import { warmCgroupAttach } from '../cgroups/attach-warmup.js';
import { deleteCommand, killCommand, listCommand, startCommand, stateCommand } from './commands/lifecycle.js';
import { parseFast } from './fast-args.js';
import { reportFailure } from './failure.js';
import { applyLogging, type GlobalArgs } from './globals.js';
import { runBundle } from './load-bundle.js';

const LIGHT_COMMANDS: Record<string, { handler: (argv: never) => void | Promise<void> }> = {
  state: stateCommand,
  start: startCommand,
  delete: deleteCommand,
  kill: killCommand,
  list: listCommand,
};

const fast = process.env.KEEL_NO_FAST_PATH === undefined ? parseFast(process.argv.slice(2)) : undefined;
const light = fast && Object.hasOwn(LIGHT_COMMANDS, fast.verb) ? LIGHT_COMMANDS[fast.verb] : undefined;
if (fast && light) {
  const argv = fast.argv as unknown as GlobalArgs;
  applyLogging(argv);
  Promise.resolve()
    .then(() => light.handler(argv as never))
    .catch(reportFailure);
} else {
  // Verbs that move a process into a cgroup; the guess only has to be right most of the time.
  if (['create', 'run', 'exec'].some((verb) => process.argv.includes(verb))) warmCgroupAttach();
  // create and run in their plain shapes have a bundle of their own, without yargs and the other
  // verbs: V8 reads a code cache whole, and this one is half the size of keel-full's.
  runBundle(join(__dirname, fast && (fast.verb === 'create' || fast.verb === 'run') ? 'keel-create.cjs' : 'keel-full.cjs'));
}
