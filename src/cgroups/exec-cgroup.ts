/**
 * `keel exec --cgroup [controllers:]path`: the exec'd process goes into an existing sub-cgroup of
 * the container's, in every hierarchy or only in the named controllers' (runc's format; v2 takes a
 * path alone). Pure: which directory of each hierarchy the process joins.
 */
import { join, posix } from 'node:path';

import { KeelError } from '../util/errors.js';
import type { CgroupLayout } from './layout.js';
import { controllersOfDir } from './manager.js';

interface SubCgroup {
  /** Empty: every hierarchy. */
  controllers: string[];
  path: string;
}

export function parseExecCgroup(value: string, mode: CgroupLayout['mode']): SubCgroup {
  const colon = value.indexOf(':');
  const controllers = colon < 0 ? [] : value.slice(0, colon).split(',').filter(Boolean);
  const path = colon < 0 ? value : value.slice(colon + 1);
  const fail = (why: string) => new KeelError(`--cgroup "${value}": ${why}`);
  if (!path) throw fail('give the sub-cgroup\'s path, e.g. --cgroup sub or --cgroup memory,pids:sub');
  if (path.split('/').includes('..')) throw fail('the path climbs with "..": give a path inside the container\'s cgroup');
  if (controllers.length && mode === 'v2') throw fail('cgroup v2 has one hierarchy: give the path without controllers');
  return { controllers, path: posix.normalize(`/${path}`) };
}

/**
 * The directories to put the process in: the container's own (`containerDirs`, one per
 * hierarchy), each replaced by its sub-cgroup where a --cgroup value names it.
 */
export function execCgroupDirs(layout: CgroupLayout, containerDirs: readonly string[], values: readonly string[]): string[] {
  const subs = values.map((v) => parseExecCgroup(v, layout.mode));
  return containerDirs.map((dir) => {
    const controllers = controllersOfDir(layout, dir);
    // The last value that covers this hierarchy wins, as later flags override earlier ones.
    const sub = subs.filter((s) => !s.controllers.length || s.controllers.some((c) => controllers.includes(c))).at(-1);
    return sub ? join(dir, sub.path) : dir;
  });
}
