/**
 * dist/keel-full.cjs: keel's whole command line, runc's verbs and flags parsed by yargs
 * (yargs-cli.ts), so that engines can swap runc for keel unchanged. keel.cjs (entry.ts) hands it
 * every command line that its own small parser (fast-args.ts) does not take: other verbs, help,
 * errors, and unusual shapes of the verbs engines call over and over.
 */
import { reportFailure } from './failure.js';
import { runYargs } from './yargs-cli.js';

runYargs(process.argv.slice(2)).catch(reportFailure);
