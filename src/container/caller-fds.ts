/**
 * Which fds the caller of keel left open, as keel's launcher (native/launch/keel.c) saw them before
 * Node started: by the time JavaScript runs, Node has marked the caller's fds close-on-exec and
 * opened its own in the gaps, so the fd table itself can no longer tell them apart. The fds keel
 * hands a container as they are (socket activation's LISTEN_FDS, then --preserve-fds) must each
 * be one of these: a number the caller left closed would otherwise pass one of keel's own fds
 * (an epoll fd, a pipe, its cgroup.procs, the state directory it holds locked) into the container.
 */
import { KeelError } from '../util/errors.js';

export const CALLER_FDS_VAR = 'KEEL_CALLER_FDS';

/** Where the record is kept once out of the environment: a registered symbol, which every bundle of keel in the process shares. */
const STASH = Symbol.for('keel.callerFdsRecord');
type WithStash = { [STASH]?: string };

/**
 * Moves the launcher's record out of keel's environment, first thing at every start: it is about
 * this process alone, and hooks, which inherit keel's environment as runc's do, must not get it.
 */
export function stashCallerFdsRecord(env: NodeJS.ProcessEnv = process.env): void {
  const g = globalThis as WithStash;
  if (g[STASH] !== undefined) return;
  g[STASH] = env[CALLER_FDS_VAR] ?? '';
  delete env[CALLER_FDS_VAR];
}

function callerFdsRecord(env: NodeJS.ProcessEnv): string | undefined {
  return env[CALLER_FDS_VAR] ?? (env === process.env ? (globalThis as WithStash)[STASH] : undefined);
}

/** The launcher's record, "<pid>:<ranges>" ("4242:3-12,15"), as [first, last] ranges; undefined unless it is about `ownPid`. */
export function parseCallerFds(value: string | undefined, ownPid: number): [number, number][] | undefined {
  const match = value?.match(/^(\d+):((?:\d+(?:-\d+)?)(?:,\d+(?:-\d+)?)*)?$/);
  // Inherited from another keel (a hook that runs keel, say): not about this process.
  if (!match || Number(match[1]) !== ownPid) return undefined;
  return (match[2]?.split(',') ?? []).map((range) => {
    const [first, last = first] = range.split('-').map(Number);
    return [first!, last!];
  });
}

export interface PassedFds {
  /** Socket activation's listening fds (LISTEN_FDS), from fd 3 on. */
  listening: number;
  /** --preserve-fds, right after the listening ones. */
  preserved: number;
}

/**
 * Refuses, naming the fd, when one of the fds keel would pass on was not open in its caller.
 * Called before anything exists on the host, so a refusal leaves nothing behind.
 */
export function checkCallerFds(passed: PassedFds, env: NodeJS.ProcessEnv = process.env, ownPid = process.pid): void {
  const total = passed.listening + passed.preserved;
  if (total === 0) return;
  const flag = passed.preserved ? `--preserve-fds ${passed.preserved}` : `LISTEN_FDS=${passed.listening}`;
  const open = parseCallerFds(callerFdsRecord(env), ownPid);
  if (!open) {
    throw new KeelError(`${flag}: keel cannot tell which fds its caller left open (${CALLER_FDS_VAR} from keel's launcher is missing): run keel as dist/keel or the installed keel, not keel.cjs itself`);
  }
  const missing = firstMissing(open, 3 + total);
  if (missing === undefined) return;
  const which = missing < 3 + passed.listening ? `LISTEN_FDS=${passed.listening}` : flag;
  throw new KeelError(`${which}: fd ${missing} is not open in the process that ran keel (fds 3 to ${2 + total} must all be): open it, or pass fewer fds`);
}

/** The lowest fd from 3 up to (not including) `end` that no range covers. */
function firstMissing(open: [number, number][], end: number): number | undefined {
  let next = 3;
  for (const [first, last] of [...open].sort((a, b) => a[0] - b[0])) {
    if (first > next) break;
    next = Math.max(next, last + 1);
  }
  return next < end ? next : undefined;
}
