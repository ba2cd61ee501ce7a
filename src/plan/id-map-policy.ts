/**
 * Who may write a new user namespace's uid_map and gid_map, and how (pure policy; the writing is
 * container/id-maps.ts's). The kernel lets a process map ids of its own user namespace when it
 * has CAP_SETUID/CAP_SETGID there (root, or root of a user namespace: whatever its own map
 * holds); a plain user may write just one line, its own euid (and egid, once setgroups is
 * "deny"). Anything more goes through the set-uid helpers newuidmap and newgidmap (Debian's uidmap
 * package), which allow the caller's own id and the ranges /etc/subuid and /etc/subgid give it,
 * as runc does. A mapping nobody would allow is refused naming its field, before anything exists.
 */
import type { LinuxIDMapping } from '../spec/types.js';
import type { SpecProblem } from '../spec/problem.js';

export interface IdRange {
  start: number;
  size: number;
}

/** What the decision depends on, for one kind of id (uids or gids). */
export interface IdFacts {
  /** keel's effective uid (decides root or not, for both kinds). */
  euid: number;
  /** keel's own id of this kind (euid or egid). */
  own: number;
  /** The ids keel's own user namespace maps (the first column of /proc/self/uid_map or gid_map). */
  mapped: IdRange[];
  /** The ranges /etc/subuid or /etc/subgid give keel's user. */
  subordinate: IdRange[];
  /** Where the helper (newuidmap or newgidmap) is; undefined when it is not installed. */
  helper?: string;
}

/** How the maps of one kind get written: by keel itself, or through the helper. */
export type MapWriter = 'direct' | 'helper';

export interface MapDecision {
  writer?: MapWriter;
  problem?: SpecProblem;
}

/** Adjacent and overlapping ranges as one: "0 1001 1" and "1 200000 65536" map 0-65536. */
function merge(ranges: readonly IdRange[]): IdRange[] {
  const merged: IdRange[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = merged[merged.length - 1];
    if (last && r.start <= last.start + last.size) last.size = Math.max(last.size, r.start + r.size - last.start);
    else merged.push({ ...r });
  }
  return merged;
}

function within(ranges: readonly IdRange[], start: number, size: number): boolean {
  return merge(ranges).some((r) => start >= r.start && start + size <= r.start + r.size);
}

function describeRanges(ranges: readonly IdRange[]): string {
  return ranges.length ? merge(ranges).map((r) => `${r.start}-${r.start + r.size - 1}`).join(', ') : 'none';
}

/**
 * How keel writes `mappings` (field: "/linux/uidMappings" or "/linux/gidMappings", kind "uid" or
 * "gid"), or why it cannot.
 */
export function decideMapWriter(mappings: readonly LinuxIDMapping[], field: string, kind: 'uid' | 'gid', facts: IdFacts): MapDecision {
  if (mappings.length === 0) return {};
  if (facts.euid === 0) {
    const outside = mappings.findIndex((m) => !within(facts.mapped, m.hostID, m.size));
    if (outside < 0) return { writer: 'direct' };
    const m = mappings[outside]!;
    return {
      problem: {
        path: `${field}/${outside}`,
        message: `host ${kind}s ${m.hostID}-${m.hostID + m.size - 1} are not mapped in the user namespace keel runs in (it maps ${describeRanges(facts.mapped)}): map only those`,
      },
    };
  }
  const own = (m: LinuxIDMapping) => m.hostID === facts.own && m.size === 1;
  if (mappings.length === 1 && own(mappings[0]!)) return { writer: 'direct' };
  const file = kind === 'uid' ? '/etc/subuid' : '/etc/subgid';
  const refused = mappings.findIndex((m) => !own(m) && !within(facts.subordinate, m.hostID, m.size));
  if (refused >= 0) {
    const m = mappings[refused]!;
    return {
      problem: {
        path: `${field}/${refused}`,
        message: `host ${kind}s ${m.hostID}-${m.hostID + m.size - 1} are not this user's to map: keel runs rootless as ${kind} ${facts.own}, which may map its own ${kind} and the ranges ${file} gives it (${describeRanges(facts.subordinate)}); add an entry to ${file}, or map only ${kind} ${facts.own}`,
      },
    };
  }
  const helper = kind === 'uid' ? 'newuidmap' : 'newgidmap';
  if (!facts.helper) {
    return { problem: { path: field, message: `more than the user's own ${kind} needs ${helper}, which is not installed: install Debian's uidmap package` } };
  }
  return { writer: 'helper' };
}

/** /etc/subuid and /etc/subgid: "name-or-id:start:count" lines; the ranges of `name` or `id`. */
export function parseSubordinateIds(text: string, name: string | undefined, id: number): IdRange[] {
  const ranges: IdRange[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (!owner || start === undefined || count === undefined || line.trim().startsWith('#')) continue;
    if (owner !== name && owner !== String(id)) continue;
    const s = Number(start);
    const c = Number(count);
    if (Number.isInteger(s) && Number.isInteger(c) && c > 0) ranges.push({ start: s, size: c });
  }
  return ranges;
}

/** /proc/self/uid_map or gid_map: the ids of this user namespace (its first column). */
export function parseOwnMap(text: string): IdRange[] {
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number))
    .filter((f) => f.length === 3 && f.every(Number.isInteger))
    .map(([inside, , size]) => ({ start: inside!, size: size! }));
}
