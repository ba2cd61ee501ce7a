/**
 * The few places where runc's command line reads differently from what yargs would make of it,
 * settled on the raw arguments before yargs sees them.
 */

/** Options (global, exec's, ps's, update's) that take a value as the next argument. */
const TAKES_VALUE = new Set(['--root', '--log', '--log-format', '--rootless', '--criu', '--process', '-p', '--env', '-e', '--cwd', '--user', '-u', '--additional-gids', '-g', '--cap', '-c', '--console-socket', '--pid-file', '--preserve-fds', '--apparmor', '--process-label', '--cgroup', '--format', '-f', '--resources', '-r']);

/** Verbs whose arguments after the container id belong to a program of their own. */
const PASS_THROUGH = new Set(['exec', 'ps']);

/**
 * - `exec` and `ps`: as with runc, options end at the container id; what follows is the command
 *   and its options (`keel exec web sh -c "ls -l"`, `keel ps web -o pid,comm`). A "--" marks it.
 * - `--resources -` (stdin, as Docker sends it) becomes `--resources=-`, which yargs reads as a value.
 * - `spec --rootless`: runc's spec has a flag of that name, where the global `--rootless` takes a
 *   value; after `spec`, a bare `--rootless` becomes `--rootless=true`.
 */
export function prepareArgs(args: string[]): string[] {
  const out = args.map((arg, i) => (arg === '-' && (args[i - 1] === '--resources' || args[i - 1] === '-r') ? undefined : arg));
  const joined = out.flatMap((arg, i) => (arg === undefined ? [] : (arg === '--resources' || arg === '-r') && args[i + 1] === '-' ? ['--resources=-'] : [arg]));
  let i = 0;
  const skipOptions = () => {
    while (i < joined.length && joined[i]!.startsWith('-') && joined[i] !== '--') i += TAKES_VALUE.has(joined[i]!) ? 2 : 1;
  };
  skipOptions();
  if (joined[i] === 'spec') {
    return joined.map((arg, j) => (j > i && arg === '--rootless' && (joined[j + 1] === undefined || joined[j + 1]!.startsWith('-')) ? '--rootless=true' : arg));
  }
  if (!PASS_THROUGH.has(joined[i]!)) return joined;
  i++;
  skipOptions();
  const idAt = i;
  if (idAt + 1 >= joined.length || joined[idAt + 1] === '--') return joined;
  return [...joined.slice(0, idAt + 1), '--', ...joined.slice(idAt + 1)];
}
