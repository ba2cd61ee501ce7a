/** `keel update` guards: memory.checkBeforeUpdate refuses a limit below what the container uses. */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { eventually } from '../helpers/host.js';
import { removeCgroupParent } from '../helpers/cgroup-parent.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const parent = `/keel-test-update-${process.pid}`;
afterAll(() => {
  for (const id of bed.keel.containers()) bed.keel.run(['delete', '--force', id]);
  removeCgroupParent(parent);
});

const v2 = detectCgroupLayout().mode === 'v2';
const memoryFile = (name: string) => (v2 ? `/sys/fs/cgroup${parent}/${name}` : `/sys/fs/cgroup/memory${parent}/${name}`);
const limitFile = (name: string) => memoryFile(`${name}/${v2 ? 'memory.max' : 'memory.limit_in_bytes'}`);
const usage = (name: string) => Number(readFileSync(memoryFile(`${name}/${v2 ? 'memory.current' : 'memory.usage_in_bytes'}`), 'utf8'));

describe('update with memory.checkBeforeUpdate', () => {
  it('refuses a limit below the current usage, keeps the old one, and takes one above it', async () => {
    const id = 'check';
    const b = bed.bundle((s) => {
      // 16 MiB in the container's /dev/shm (tmpfs pages are charged to its memory cgroup).
      s.process!.args = ['sh', '-c', 'head -c 16777216 /dev/zero > /dev/shm/ballast && sleep 1000'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { memory: { limit: 64 << 20 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(await eventually(() => usage(id) > 16 << 20, 10_000)).toBe(true);

    const low = bed.keel.run(['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 4 << 20, checkBeforeUpdate: true } }) });
    expect(low.code).toBe(1);
    expect(low.stderr).toMatch(/^keel: memory\.limit: 4194304 bytes is below what the container uses now \(\d+ bytes\), and checkBeforeUpdate is set/);
    expect(readFileSync(limitFile(id), 'utf8').trim()).toBe(String(64 << 20));

    bed.keel.ok(['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 48 << 20, checkBeforeUpdate: true } }) });
    expect(readFileSync(limitFile(id), 'utf8').trim()).toBe(String(48 << 20));
    bed.keel.ok(['delete', '--force', id]);
  });
});

describe('update --resources', () => {
  it('refuses a value of the wrong type, naming it, and leaves the cgroup as it was', () => {
    const id = 'types';
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { memory: { limit: 64 << 20 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    for (const [input, field] of [
      [{ memory: { limit: 'abc' } }, '/memory/limit'],
      [{ memory: { limit: 20971520.5 } }, '/memory/limit'],
      [{ pids: { limit: '12' } }, '/pids/limit'],
      [[], '/'],
    ] as const) {
      const r = bed.keel.run(['update', '--resources', '-', id], { input: JSON.stringify(input) });
      expect(r.code, JSON.stringify(input)).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^keel: --resources -: ${field.replace(/\//g, '\\/')}: `));
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(readFileSync(limitFile(id), 'utf8').trim()).toBe(String(64 << 20));
    bed.keel.ok(['update', '--resources', '-', id], { input: JSON.stringify({ memory: { limit: 32 << 20 } }) });
    expect(readFileSync(limitFile(id), 'utf8').trim()).toBe(String(32 << 20));
    bed.keel.ok(['delete', '--force', id]);
  });
});
