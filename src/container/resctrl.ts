/**
 * linux.intelRdt through the resctrl file system: the effects of plan/intel-rdt.ts's plan, at
 * create's cgroup sync (the init's pid goes to the group's tasks), for exec's processes, and at
 * delete.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

import { RESCTRL_ROOT, type ResctrlPlan } from '../plan/intel-rdt.js';
import { KeelError } from '../util/errors.js';

/** Makes or checks the group, writes its schemata, and puts `pid` in it (and in the MON group). */
export function applyResctrl(plan: ResctrlPlan, pid: number, id: string): void {
  const made: string[] = [];
  try {
    joinGroups(plan, pid, id, made);
  } catch (err) {
    // What this create made goes again (resctrl removes a group with its files); one that was
    // there before stays. The first error is the one to report.
    for (const dir of made.reverse()) {
      try {
        rmdirSync(dir);
      } catch {
        // Reported below with the cause.
      }
    }
    throw err;
  }
}

function joinGroups(plan: ResctrlPlan, pid: number, id: string, made: string[]): void {
  const at = '/linux/intelRdt';
  if (!existsSync(plan.group)) {
    if (plan.mustExist) throw new KeelError(`config.json: ${at}/closID: no resctrl group ${plan.group}: make it first, or give the schemata for keel to make it`);
    mkdirSync(plan.group);
    made.push(plan.group);
    for (const line of plan.schemata) writeResctrl(join(plan.group, 'schemata'), line, `${at}: schemata line "${line}"`);
  } else if (plan.mayExist) {
    // An existing group is shared: its schemata must be what the config asks, not be rewritten.
    const current = readFileSync(join(plan.group, 'schemata'), 'utf8').replace(/[ \t]/g, '');
    const differs = plan.schemata.filter((line) => !current.includes(line.replace(/[ \t]/g, '')));
    if (differs.length) throw new KeelError(`config.json: ${at}: the resctrl group ${plan.group} exists with other schemata than ${differs.map((l) => `"${l}"`).join(', ')}`);
  } else if (!plan.mustExist) {
    throw new KeelError(`config.json: ${at}: the resctrl group ${plan.group} exists already: is another container named "${id}"?`);
  }
  writeResctrl(join(plan.group, 'tasks'), String(pid), `${at}: joining ${plan.group}`);
  if (plan.monGroup) {
    try {
      mkdirSync(plan.monGroup);
    } catch (err) {
      throw new KeelError(`config.json: ${at}/enableMonitoring: cannot make the MON group ${plan.monGroup}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${lastCommandStatus()}`);
    }
    made.push(plan.monGroup);
    writeResctrl(join(plan.monGroup, 'tasks'), String(pid), `${at}/enableMonitoring: joining ${plan.monGroup}`);
  }
}

/** Puts another process of the container (keel exec's) in its groups. */
export function joinResctrl(plan: ResctrlPlan, pid: number): void {
  writeResctrl(join(plan.group, 'tasks'), String(pid), `/linux/intelRdt: joining ${plan.group}`);
  if (plan.monGroup) writeResctrl(join(plan.monGroup, 'tasks'), String(pid), `/linux/intelRdt/enableMonitoring: joining ${plan.monGroup}`);
}

/** Removes what keel made for the container; a group already gone is fine. */
export function removeResctrl(plan: ResctrlPlan | undefined): void {
  for (const dir of plan?.remove ?? []) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new KeelError(`cannot remove the resctrl group ${dir}: ${(err as Error).message}`);
    }
  }
}

function writeResctrl(file: string, value: string, what: string): void {
  try {
    // Each value its own write, in order, as resctrl takes them (it ignores the offset).
    appendFileSync(file, value + '\n');
  } catch (err) {
    // resctrl says what it refused in info/last_cmd_status.
    throw new KeelError(`config.json: ${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}${lastCommandStatus()}`);
  }
}

function lastCommandStatus(): string {
  try {
    const status = readFileSync(join(RESCTRL_ROOT, 'info', 'last_cmd_status'), 'utf8').trim();
    return status && status !== 'ok' ? ` (resctrl: ${status})` : '';
  } catch {
    return '';
  }
}
