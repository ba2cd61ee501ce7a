import type { User } from '../spec/types.js';
import type { ReportProblem } from '../spec/problem.js';

/**
 * The highest uid or gid a process may be given, as runc: 2^31-1. The kernel's uid_t is 32 bits,
 * but 4294967295 is (uid_t)-1, which setresuid/setresgid/setgroups read as "leave unchanged": a
 * process asking for it would simply stay root. runc refuses everything above 2^31-1, so engines
 * never send such ids, and ids there are the ones most easily confused with negative numbers.
 */
export const MAX_ID = 2 ** 31 - 1;

/** linux/limits.h: the most supplementary groups a process may have. */
const NGROUPS_MAX = 65536;

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ID;
}

/**
 * The process's user, checked: uid, gid and every additional gid in 0..2^31-1. An additional gid
 * listed twice is kept once, in the order first given, as runc does (7 7 8 gives groups 7 8).
 */
export function compileUser(user: User, report: ReportProblem, at = '/process/user'): { uid: number; gid: number; additionalGids?: number[] } {
  const problem = (field: string, value: unknown) =>
    report(`${at}/${field}`, `${JSON.stringify(value)} is not a usable id: uids and gids must be in 0-${MAX_ID} (4294967295, which is -1, would leave the process root)`);
  if (!isId(user.uid)) problem('uid', user.uid);
  if (!isId(user.gid)) problem('gid', user.gid);
  (user.additionalGids ?? []).forEach((g, i) => {
    if (!isId(g)) problem(`additionalGids/${i}`, g);
  });
  const distinct = new Set(user.additionalGids ?? []).size;
  if (distinct > NGROUPS_MAX) report(`${at}/additionalGids`, `${distinct} groups are more than the kernel lets a process have (${NGROUPS_MAX})`);
  return { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids && [...new Set(user.additionalGids)] };
}
