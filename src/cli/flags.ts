/**
 * The flags of the global options and of the verbs engines call over and over, as plain data: the
 * one source of truth for both the yargs command line (commands/*.ts) and the hand-written fast
 * parser (fast-args.ts), which must never disagree on what an argument means.
 */

export interface Flag {
  type: 'string' | 'boolean' | 'number';
  alias?: string;
  default?: string | number | boolean;
  choices?: readonly string[];
  describe?: string;
  hidden?: boolean;
  global?: boolean;
}

export type FlagTable = Readonly<Record<string, Flag>>;

/** runc's global flags. Engines put them before the subcommand, in either `--flag value` or `--flag=value` form. */
export const GLOBAL_FLAGS = {
  root: { type: 'string', describe: 'directory for container state (default /run/keel; $XDG_RUNTIME_DIR/keel when rootless)', global: true },
  log: { type: 'string', describe: 'append log lines to this file', global: true },
  'log-format': { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'format of the --log file', global: true },
  debug: { type: 'boolean', default: false, describe: 'say what keel is doing, step by step, with timings', global: true },
  'systemd-cgroup': { type: 'boolean', default: false, describe: 'cgroupsPath is slice:prefix:name, managed through systemd', global: true },
  rootless: { type: 'string', choices: ['true', 'false', 'auto'], default: 'auto', describe: 'rootless mode: true, false or auto (rootless when not root, or root of a user namespace)', global: true },
  criu: { type: 'string', describe: 'the CRIU binary that checkpoint and restore run (default: criu on PATH)', global: true },
} as const satisfies FlagTable;

/** The flags `create` and `run` share, including the ones runc accepts that keel has no use for. */
export const CREATE_FLAGS = {
  bundle: { alias: 'b', type: 'string', default: '.', describe: 'bundle directory (holds config.json)' },
  'pid-file': { type: 'string', describe: 'write the container init PID to this file' },
  'console-socket': { type: 'string', describe: 'AF_UNIX socket that receives the terminal master' },
  'preserve-fds': { type: 'number', default: 0, describe: 'pass this many extra fds (from 3 on) to the container' },
  'no-pivot': { type: 'boolean', hidden: true, describe: 'accepted for runc compatibility; keel always uses pivot_root' },
  'no-new-keyring': { type: 'boolean', default: false, describe: "keep the caller's session keyring instead of a new one for the container" },
} as const satisfies FlagTable;

export const RUN_FLAGS = {
  ...CREATE_FLAGS,
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'start it and return at once' },
  keep: { type: 'boolean', default: false, describe: 'do not delete the container after it exits' },
  'no-subreaper': { type: 'boolean', hidden: true, describe: 'accepted for runc compatibility' },
} as const satisfies FlagTable;

export const DELETE_FLAGS = {
  force: { alias: 'f', type: 'boolean', default: false, describe: 'kill a running container first' },
} as const satisfies FlagTable;

export const KILL_FLAGS = {
  all: { alias: 'a', type: 'boolean', default: false, describe: 'send it to every process of the container' },
} as const satisfies FlagTable;

export const LIST_FLAGS = {
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'print the ids only' },
  format: { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table' },
} as const satisfies FlagTable;

/** exec's flags. The repeatable ones (env, additional-gids, cap, cgroup) take one value each time. */
export const EXEC_FLAGS = {
  process: { alias: 'p', type: 'string', describe: 'a process.json to run instead of a command' },
  env: { alias: 'e', type: 'string', describe: 'add an environment variable (NAME=value); repeatable' },
  cwd: { type: 'string', describe: 'working directory in the container' },
  user: { alias: 'u', type: 'string', describe: 'uid[:gid]' },
  'additional-gids': { alias: 'g', type: 'number', describe: 'an additional group id; repeatable' },
  cap: { alias: 'c', type: 'string', describe: 'add a capability; repeatable' },
  'no-new-privs': { type: 'boolean', default: false },
  tty: { alias: 't', type: 'boolean', default: false },
  'console-socket': { type: 'string' },
  detach: { alias: 'd', type: 'boolean', default: false },
  'pid-file': { type: 'string' },
  'preserve-fds': { type: 'number', default: 0 },
  'ignore-paused': { type: 'boolean', default: false },
  apparmor: { type: 'string', describe: 'AppArmor profile for the process (where the host runs AppArmor)' },
  'process-label': { type: 'string', describe: 'SELinux label for the process (where the host runs SELinux)' },
  cgroup: { type: 'string', describe: 'join an existing sub-cgroup: [controller,...:]path; repeatable' },
} as const satisfies FlagTable;

/**
 * The CRIU flags `checkpoint` and `restore` share, with runc 1.1's names and meanings (see
 * src/criu/options.ts for how each becomes one of CRIU's options).
 */
const CRIU_COMMON_FLAGS = {
  'image-path': { type: 'string', describe: 'directory of the CRIU image files (default: ./checkpoint)' },
  'work-path': { type: 'string', describe: "directory for CRIU's work files and log (default: the image directory)" },
  'tcp-established': { type: 'boolean', default: false, describe: 'allow open TCP connections' },
  'ext-unix-sk': { type: 'boolean', default: false, describe: 'allow external unix sockets' },
  'shell-job': { type: 'boolean', default: false, describe: 'allow shell jobs (a process on a terminal it shares with its parent)' },
  'file-locks': { type: 'boolean', default: false, describe: 'handle file locks' },
  'manage-cgroups-mode': { type: 'string', describe: 'how CRIU handles cgroups: soft (default), full, strict or ignore' },
  'empty-ns': { type: 'string', describe: 'a namespace to make empty, not restored (only "network"); repeatable' },
  'auto-dedup': { type: 'boolean', default: false, describe: 'deduplicate memory images' },
  'lazy-pages': { type: 'boolean', default: false, describe: 'restore memory pages lazily, through userfaultfd' },
} as const satisfies FlagTable;

export const CHECKPOINT_FLAGS = {
  ...CRIU_COMMON_FLAGS,
  'parent-path': { type: 'string', describe: 'the images of an earlier pre-dump, relative to --image-path' },
  'leave-running': { type: 'boolean', default: false, describe: 'leave the container running after the checkpoint' },
  'pre-dump': { type: 'boolean', default: false, describe: 'dump the memory only and leave the container running' },
  'page-server': { type: 'string', describe: 'send the memory pages to a CRIU page server at ADDRESS:PORT' },
  'status-fd': { type: 'number', default: -1, describe: 'CRIU writes \\0 to this fd once lazy pages are ready' },
} as const satisfies FlagTable;

export const RESTORE_FLAGS = {
  ...CRIU_COMMON_FLAGS,
  bundle: { alias: 'b', type: 'string', default: '.', describe: 'bundle directory (holds config.json)' },
  detach: { alias: 'd', type: 'boolean', default: false, describe: 'return once the container runs' },
  'pid-file': { type: 'string', describe: 'write the restored init PID to this file' },
  'console-socket': { type: 'string', describe: 'AF_UNIX socket that receives the terminal master' },
  'no-subreaper': { type: 'boolean', hidden: true, describe: 'accepted for runc compatibility' },
  'no-pivot': { type: 'boolean', hidden: true, describe: 'accepted for runc compatibility' },
  'lsm-profile': { type: 'string', describe: 'LSM profile for the restored processes, TYPE:NAME' },
  'lsm-mount-context': { type: 'string', describe: 'LSM mount context for the restored mounts' },
} as const satisfies FlagTable;

/** A positional argument; all are strings (an id like "1e3" must never become a number). */
export interface Positional {
  name: string;
  optional?: boolean;
  default?: string;
}

/** The hot verbs: what the fast parser reads and yargs declares for them. */
export interface HotVerb {
  positionals: readonly Positional[];
  flags: FlagTable;
  /** The arguments after the positionals are a command line of their own (exec), handed over under "--". */
  command?: boolean;
}

export const HOT_VERBS: Readonly<Record<string, HotVerb>> = {
  state: { positionals: [{ name: 'container-id' }], flags: {} },
  start: { positionals: [{ name: 'container-id' }], flags: {} },
  delete: { positionals: [{ name: 'container-id' }], flags: DELETE_FLAGS },
  kill: { positionals: [{ name: 'container-id' }, { name: 'signal', optional: true, default: 'SIGTERM' }], flags: KILL_FLAGS },
  list: { positionals: [], flags: LIST_FLAGS },
  create: { positionals: [{ name: 'container-id' }], flags: CREATE_FLAGS },
  run: { positionals: [{ name: 'container-id' }], flags: RUN_FLAGS },
  exec: { positionals: [{ name: 'container-id' }], flags: EXEC_FLAGS, command: true },
};

/**
 * How yargs must read keel's command line: runc's `--no-pivot` and `--no-new-keyring` are flags
 * of their own, not the negation of "pivot"; and an id or a value like "1e3" or "0x10" stays the
 * string it was (options typed as numbers are still converted).
 */
export const PARSER_CONFIG = {
  'boolean-negation': false,
  'parse-numbers': false,
  'parse-positional-numbers': false,
} as const;
