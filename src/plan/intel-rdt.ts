/**
 * linux.intelRdt (config-linux.md) as resctrl groups: which group the container joins, the lines
 * for its schemata, what must or may exist, what delete removes. Pure; container/resctrl.ts
 * carries it out.
 */
import { join } from 'node:path';

import type { LinuxIntelRdt } from '../spec/types.js';
import { KeelError } from '../util/errors.js';

export const RESCTRL_ROOT = '/sys/fs/resctrl';

export interface ResctrlPlan {
  /** The CTRL_MON group the container's processes join (the root for closID "/"). */
  group: string;
  /** Lines for the group's schemata file, in the spec's order: l3CacheSchema, memBwSchema, schemata. */
  schemata: string[];
  /** closID names a group that may exist: then its schemata must already hold these lines. */
  mayExist: boolean;
  /** closID without schemata: the group must exist, keel only joins it. */
  mustExist: boolean;
  /** The MON group for enableMonitoring. */
  monGroup?: string;
  /** What delete removes (deepest first): the MON group, and the group when keel named it after the container. */
  remove: string[];
}

/** A closID becomes a directory name: one component, no "." or "..". */
export function closIdProblem(closID: string): string | undefined {
  if (closID === '/') return undefined;
  if (!closID || closID.includes('/') || closID === '.' || closID === '..') return `"${closID}" is not a resctrl group name (one path component, or "/" for the default group)`;
  return undefined;
}

export function planResctrl(rdt: LinuxIntelRdt, id: string, root = RESCTRL_ROOT): ResctrlPlan {
  if (rdt.closID !== undefined) {
    const problem = closIdProblem(rdt.closID);
    if (problem) throw new KeelError(`config.json: /linux/intelRdt/closID: ${problem}`);
  }
  const group = rdt.closID === '/' ? root : join(root, rdt.closID ?? id);
  const schemata = [rdt.l3CacheSchema, rdt.memBwSchema, ...(rdt.schemata ?? [])].filter((l): l is string => !!l);
  const monGroup = rdt.enableMonitoring ? join(group, 'mon_groups', id) : undefined;
  const named = rdt.closID !== undefined;
  return {
    group,
    schemata,
    mayExist: named && schemata.length > 0,
    mustExist: named && schemata.length === 0,
    monGroup,
    remove: [...(monGroup ? [monGroup] : []), ...(named ? [] : [group])],
  };
}
