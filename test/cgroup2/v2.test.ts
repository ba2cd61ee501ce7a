/**
 * What only a pure cgroup v2 host shows: controllers enabled down the path, cgroup.kill, cgroups a
 * container makes below its own, memory.events. `make test-cgroup2` runs this file in a v2 guest
 * (test/cgroup2/run.sh); on any other host it fails at once and says so.
 */
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { eventually } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const CG = '/sys/fs/cgroup';
const bed = useTestbed();
const parent = `/keel-v2-test-${process.pid}`;
const dir = (id: string) => `${CG}${parent}/${id}`;
const read = (id: string, file: string) => readFileSync(`${dir(id)}/${file}`, 'utf8').trim();
const procs = (path: string) => readFileSync(`${path}/cgroup.procs`, 'utf8').split('\n').filter(Boolean);

beforeAll(() => {
  const mode = detectCgroupLayout().mode;
  if (mode !== 'v2') throw new Error(`this host's cgroups are ${mode}: these tests need pure cgroup v2; run them with "make test-cgroup2"`);
});

afterAll(() => {
  if (existsSync(CG + parent)) rmdirSync(CG + parent);
});

describe('cgroup v2', () => {
  it('a container made without limits gets every controller, so update can set limits later; exec joins its cgroup', () => {
    const id = 'nolimits';
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = {};
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(read(id, 'cgroup.controllers').split(' ')).toEqual(expect.arrayContaining(['cpu', 'io', 'memory', 'pids']));
    bed.keel.ok(['update', '--memory', '48m', '--pids-limit', '6', '--cpu-quota', '25000', id]);
    expect(read(id, 'memory.max')).toBe(String(48 << 20));
    expect(read(id, 'pids.max')).toBe('6');
    expect(read(id, 'cpu.max')).toBe('25000 100000');
    // An exec'd process joins the same cgroup, which its cgroup namespace shows as the root.
    expect(bed.keel.ok(['exec', id, 'cat', '/proc/self/cgroup'])).toBe('0::/\n');
    bed.keel.ok(['delete', '--force', id]);
    expect(existsSync(dir(id))).toBe(false);
  });

  it('kill --all and delete reach the processes in cgroups the container made below its own (cgroup.kill)', async () => {
    const id = 'nested';
    const b = bed.bundle((s) => {
      // No PID namespace: keel cannot find these processes through one, only through the cgroup.
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
      const cgroupMount = s.mounts!.find((m) => m.destination === '/sys/fs/cgroup')!;
      cgroupMount.options = cgroupMount.options!.filter((o) => o !== 'ro');
      s.process!.args = ['sh', '-c', 'mkdir /sys/fs/cgroup/inner; sleep 1000 & echo $! > /sys/fs/cgroup/inner/cgroup.procs; sleep 1000 & wait'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(await eventually(() => existsSync(`${dir(id)}/inner`) && procs(`${dir(id)}/inner`).length === 1 && procs(dir(id)).length === 2)).toBe(true);
    expect(JSON.parse(bed.keel.ok(['ps', '--format', 'json', id]))).toHaveLength(3);
    bed.keel.ok(['kill', '--all', id, 'KILL']);
    expect(await eventually(() => /^populated 0$/m.test(read(id, 'cgroup.events')))).toBe(true);
    bed.keel.ok(['delete', id]);
    expect(existsSync(dir(id))).toBe(false);
  });

  it('without a cgroup namespace the container sees its own cgroup at /sys/fs/cgroup (a bind of its directory)', () => {
    const id = 'nocgns';
    const b = bed.bundle((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'cgroup');
      s.process!.args = ['sh', '-c', 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { memory: { limit: 40 << 20 }, pids: { limit: 11 } };
    });
    expect(bed.keel.ok(['run', '--bundle', b.dir, id])).toBe(`0::${parent}/${id}\n${40 << 20}\n11\n`);
    expect(existsSync(dir(id))).toBe(false);
  });

  it('a memory limit OOM-kills, and memory.events counts it', async () => {
    const id = 'oom';
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { memory: { limit: 16 << 20, swap: 16 << 20 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(read(id, 'memory.swap.max')).toBe('0');
    expect(await eventually(() => JSON.parse(bed.keel.ok(['state', id])).status === 'stopped', 20_000)).toBe(true);
    expect(Number(/^oom_kill (\d+)$/m.exec(read(id, 'memory.events'))?.[1])).toBeGreaterThan(0);
    bed.keel.ok(['delete', id]);
    expect(existsSync(dir(id))).toBe(false);
  });
});
