/**
 * Writing a new user namespace's uid_map and gid_map (the effects; who may, and how, is
 * plan/id-map-policy.ts's). Decided before anything is created, so that a mapping the user may
 * not make leaves no trace; written when keel-init waits at the id-maps sync point.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { delimiter, join } from 'node:path';

import { decideMapWriter, parseOwnMap, parseSubordinateIds, type IdFacts, type MapWriter } from '../plan/id-map-policy.js';
import { mapText } from '../plan/idmap.js';
import { ConfigError } from '../spec/problem.js';
import type { LinuxIDMapping, Spec } from '../spec/types.js';
import { KeelError, errnoCode } from '../util/errors.js';
import { log } from '../util/log.js';

export interface IdMapPlan {
  uid: { mappings: LinuxIDMapping[]; writer?: MapWriter; helper?: string };
  gid: { mappings: LinuxIDMapping[]; writer?: MapWriter; helper?: string };
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** An executable on PATH (then in /usr/bin, where Debian puts the helpers: engines pass short PATHs). */
function findProgram(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const dir of dirs) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

function factsOf(kind: 'uid' | 'gid', euid: number, user: string | undefined): IdFacts {
  const own = kind === 'uid' ? euid : (process.getegid?.() ?? 0);
  return {
    euid,
    own,
    mapped: parseOwnMap(readOr(`/proc/self/${kind}_map`, '0 0 4294967295')),
    subordinate: parseSubordinateIds(readOr(kind === 'uid' ? '/etc/subuid' : '/etc/subgid', ''), user, euid),
    helper: findProgram(kind === 'uid' ? 'newuidmap' : 'newgidmap'),
  };
}

/** How the config's id mappings will be written; a mapping this keel may not make throws, naming its field. */
export function planIdMaps(spec: Spec): IdMapPlan {
  const uidMappings = spec.linux?.uidMappings ?? [];
  const gidMappings = spec.linux?.gidMappings ?? [];
  const euid = process.geteuid?.() ?? 0;
  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = undefined; // a uid without a passwd entry: /etc/subuid may still name it by number
  }
  const uidFacts = factsOf('uid', euid, user);
  const gidFacts = factsOf('gid', euid, user);
  const uid = decideMapWriter(uidMappings, '/linux/uidMappings', 'uid', uidFacts);
  const gid = decideMapWriter(gidMappings, '/linux/gidMappings', 'gid', gidFacts);
  const problem = uid.problem ?? gid.problem;
  if (problem) throw new ConfigError(problem.path, problem.message);
  // As runc: once one kind needs its helper, both go through theirs (newgidmap then leaves
  // setgroups allowed, which a direct gid_map write by a plain user could not).
  const helpers = uid.writer === 'helper' || gid.writer === 'helper';
  const writer = (w: MapWriter | undefined, mappings: LinuxIDMapping[]) => (w && helpers && euid !== 0 && mappings.length ? 'helper' : w);
  return {
    uid: { mappings: uidMappings, writer: writer(uid.writer, uidMappings), helper: uidFacts.helper },
    gid: { mappings: gidMappings, writer: writer(gid.writer, gidMappings), helper: gidFacts.helper },
  };
}

/**
 * Writes the maps of keel-init's new user namespace: uid_map, then (a plain user writing its own
 * gid) "deny" to setgroups, which the kernel requires first, then gid_map.
 */
export function writeIdMaps(pid: number, plan: IdMapPlan): void {
  write(pid, 'uid', plan.uid.mappings, plan.uid.writer, plan.uid.helper);
  if (plan.gid.writer === 'direct' && (process.geteuid?.() ?? 0) !== 0) writeProc(pid, 'setgroups', 'deny');
  write(pid, 'gid', plan.gid.mappings, plan.gid.writer, plan.gid.helper);
  log().debug(`wrote uid and gid mappings for ${pid} (${plan.uid.writer ?? 'none'}, ${plan.gid.writer ?? 'none'})`);
}

function write(pid: number, kind: 'uid' | 'gid', mappings: LinuxIDMapping[], writer: MapWriter | undefined, helper: string | undefined): void {
  if (!writer) return;
  if (writer === 'direct') return writeProc(pid, `${kind}_map`, mapText(mappings));
  const args = [String(pid), ...mappings.flatMap((m) => [String(m.containerID), String(m.hostID), String(m.size)])];
  try {
    execFileSync(helper!, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim().replace(/\s+/g, ' ');
    throw new KeelError(`${helper} ${args.join(' ')} failed: ${stderr || (err as Error).message}: check /etc/sub${kind} for this user`);
  }
}

function writeProc(pid: number, file: string, text: string): void {
  try {
    writeFileSync(`/proc/${pid}/${file}`, text);
  } catch (err) {
    throw new KeelError(`cannot write ${JSON.stringify(text.trim())} to /proc/${pid}/${file}: ${errnoCode(err) ?? (err as Error).message}`);
  }
}
