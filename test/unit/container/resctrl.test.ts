/**
 * linux.intelRdt against config-linux.md's rules, on a directory standing in for /sys/fs/resctrl
 * (this machine has no resctrl: create refuses intelRdt here, tested in refusals.test.ts).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { applyResctrl, joinResctrl, removeResctrl } from '../../../src/container/resctrl.js';
import { planResctrl } from '../../../src/plan/intel-rdt.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach((r) => rmSync(r, { recursive: true, force: true })));
function fakeResctrl(): string {
  const root = mkdtempSync(join(tmpdir(), 'keel-resctrl-'));
  roots.push(root);
  writeFileSync(join(root, 'schemata'), 'L3:0=fff\nMB:0=100\n');
  return root;
}
const read = (f: string) => readFileSync(f, 'utf8');

describe('intelRdt through resctrl', () => {
  it('without closID: a group named after the container, l3CacheSchema then memBwSchema then schemata, the pid in tasks; delete removes it', () => {
    const root = fakeResctrl();
    const plan = planResctrl({ l3CacheSchema: 'L3:0=f', memBwSchema: 'MB:0=50', schemata: ['L2:0=3'] }, 'web', root);
    applyResctrl(plan, 1234, 'web');
    expect(read(join(root, 'web/schemata'))).toBe('L3:0=f\nMB:0=50\nL2:0=3\n');
    expect(read(join(root, 'web/tasks'))).toBe('1234\n');
    joinResctrl(plan, 1300);
    expect(read(join(root, 'web/tasks'))).toBe('1234\n1300\n');
    rmSync(join(root, 'web/schemata'));
    rmSync(join(root, 'web/tasks'));
    removeResctrl(plan);
    expect(existsSync(join(root, 'web'))).toBe(false);
  });

  it('closID with schemata: an existing group must already hold them (never rewritten), and stays at delete', () => {
    const root = fakeResctrl();
    mkdirSync(join(root, 'gold'));
    writeFileSync(join(root, 'gold/schemata'), '    L3:0=00f;1=0ff\n    MB:0=20;1=70\n');
    applyResctrl(planResctrl({ closID: 'gold', l3CacheSchema: 'L3:0=00f;1=0ff' }, 'a', root), 7, 'a');
    expect(read(join(root, 'gold/tasks'))).toBe('7\n');
    expect(() => applyResctrl(planResctrl({ closID: 'gold', memBwSchema: 'MB:0=30;1=70' }, 'b', root), 8, 'b')).toThrow(/\/linux\/intelRdt: the resctrl group .*gold exists with other schemata than "MB:0=30;1=70"/);
    expect(planResctrl({ closID: 'gold', l3CacheSchema: 'L3:0=f' }, 'a', root).remove).toEqual([]);
  });

  it('closID without schemata: the group must exist (an error if not); "/" is the default group', () => {
    const root = fakeResctrl();
    expect(() => applyResctrl(planResctrl({ closID: 'nope' }, 'a', root), 7, 'a')).toThrow(/\/linux\/intelRdt\/closID: no resctrl group/);
    expect(existsSync(join(root, 'nope'))).toBe(false);
    applyResctrl(planResctrl({ closID: '/' }, 'a', root), 9, 'a');
    expect(read(join(root, 'tasks'))).toBe('9\n');
  });

  it('enableMonitoring: a MON group named after the container, removed at delete; a failure undoes what it made', () => {
    const root = fakeResctrl();
    const plan = planResctrl({ enableMonitoring: true }, 'm', root);
    // A plain directory has no mon_groups (resctrl makes it with the group): the MUST error, naming the field.
    expect(() => applyResctrl(plan, 5, 'm')).toThrow(/\/linux\/intelRdt\/enableMonitoring: cannot make the MON group .*m\/mon_groups\/m: ENOENT/);
    mkdirSync(join(root, 'g', 'mon_groups'), { recursive: true });
    const named = planResctrl({ closID: 'g', enableMonitoring: true }, 'm', root);
    applyResctrl(named, 5, 'm');
    expect(read(join(root, 'g/mon_groups/m/tasks'))).toBe('5\n');
    expect(named.remove).toEqual([join(root, 'g/mon_groups/m')]);
  });
});
