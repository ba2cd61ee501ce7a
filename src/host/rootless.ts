/**
 * Whether keel runs rootless, and where its state goes then: runc's rules, as pure functions of
 * what the process sees (its euid, its /proc/self/uid_map, its environment), with thin readers.
 *
 * Rootless means keel cannot count on owning the host: it runs as a plain user, or as root of a
 * user namespace that is not the initial one (rootless podman runs its runtime so). Then the id
 * maps are written within what the user may map, cgroups are used only where the user may write
 * them, and state lives in the user's $XDG_RUNTIME_DIR, never in /run/keel (state/default-root.ts).
 */
import { readFileSync } from 'node:fs';

import { KeelError } from '../util/errors.js';

export type RootlessFlag = 'true' | 'false' | 'auto';

/** What the rootless decision depends on. */
export interface RootlessFacts {
  euid: number;
  /** /proc/self/uid_map's text. */
  uidMap: string;
}

/**
 * The initial user namespace maps every id to itself ("0 0 4294967295"); any other map means keel
 * runs in a user namespace someone made (runc's userns.RunningInUserNS reads the same file).
 */
export function inInitialUserNamespace(uidMap: string): boolean {
  const lines = uidMap.trim().split('\n');
  if (lines.length !== 1) return false;
  const [inside, outside, size] = lines[0]!.trim().split(/\s+/);
  return inside === '0' && outside === '0' && size === '4294967295';
}

/** `--rootless true|false|auto`: auto is rootless when the euid is not 0 or the user namespace is not the initial one. */
export function isRootless(flag: string | undefined, facts: RootlessFacts): boolean {
  switch (flag ?? 'auto') {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'auto':
      return facts.euid !== 0 || !inInitialUserNamespace(facts.uidMap);
    default:
      throw new KeelError(`--rootless: ${JSON.stringify(flag)} is not one of true, false or auto`);
  }
}

/** This process's facts (the effects side of the functions above). */
export function processRootlessFacts(): RootlessFacts & { env: NodeJS.ProcessEnv } {
  let uidMap: string;
  try {
    uidMap = readFileSync('/proc/self/uid_map', 'utf8');
  } catch {
    uidMap = '0 0 4294967295';
  }
  return { euid: process.geteuid?.() ?? 0, uidMap, env: process.env };
}
