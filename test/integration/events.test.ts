/**
 * `keel events` on this host (v1 controllers): stats lines, OOM events, and the same JSON keys as
 * runc's `events --stats` for the same config (containerd and podman parse that shape).
 */
import { afterAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { eventually } from '../helpers/host.js';
import { RuncRoot } from '../helpers/runc.js';
import { swapAccounting } from '../helpers/host-features.js';
import { useTestbed } from '../helpers/testbed.js';
import { removeCgroupParent } from '../helpers/cgroup-parent.js';

const bed = useTestbed();
const parent = `/keel-test-events-${process.pid}`;
const runcRoot = new RuncRoot();

afterAll(() => {
  // Containers first (this hook runs before the testbed's own cleanup), then their parent cgroup.
  for (const id of bed.keel.containers()) bed.keel.run(['delete', '--force', id]);
  runcRoot.cleanup();
  removeCgroupParent(parent);
});

interface Event {
  type: string;
  id: string;
  data?: Record<string, unknown>;
}

/** Every key path of a JSON value ("memory.usage.limit"); list elements share one "[]" path. */
function keyPaths(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return [...new Set(value.flatMap((v) => keyPaths(v, `${prefix}[]`)))];
  if (value === null || typeof value !== 'object') return prefix ? [prefix] : [];
  return Object.entries(value).flatMap(([k, v]) => [`${prefix}${prefix ? '.' : ''}${k}`, ...keyPaths(v, `${prefix}${prefix ? '.' : ''}${k}`)]);
}

describe('keel events', () => {
  it('streams stats lines and an oom event when a process of the container is OOM-killed, then ends with the container', async () => {
    const id = 'oom';
    const b = bed.bundle((s) => {
      // A 64 MB shell variable in a 16 MB cgroup (swap included where the kernel accounts it): the
      // OOM killer kills the shell.
      s.process!.args = ['sh', '-c', 'sleep 1.5; x=$(head -c 67108864 /dev/zero | tr "\\0" a); sleep 1000'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { memory: { limit: 16 << 20, ...(swapAccounting() ? { swap: 16 << 20 } : {}) } };
    });
    bed.keel.ok(['create', '--bundle', b.dir, id]);
    const events = bed.keel.spawn(['events', '--interval', '500ms', id]);
    let out = '';
    events.stdout.on('data', (d: Buffer) => (out += d.toString()));
    let err = '';
    events.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => events.on('exit', resolve));
    bed.keel.ok(['start', id]);
    // Whole lines only: the last one may still be arriving.
    const lines = () => out.slice(0, out.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
    expect(await eventually(() => lines().some((e) => e.type === 'oom'), 15_000)).toBe(true);
    // The OOM kill took the container's init, so the stream ends by itself.
    expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('still running'), 5000))])).toBe(0);
    expect(err).toBe('');
    const all = lines();
    // One line per OOM kill: the kernel may kill more than one process of the pipeline (seen on v2).
    const ooms = all.filter((e) => e.type === 'oom');
    expect(ooms.length).toBeGreaterThanOrEqual(1);
    expect(ooms).toEqual(ooms.map(() => ({ type: 'oom', id })));
    const stats = all.filter((e) => e.type === 'stats');
    expect(stats.length).toBeGreaterThanOrEqual(2);
    expect(stats[0]).toMatchObject({ id, data: { memory: { usage: { limit: 16 << 20 } } } });
    bed.keel.ok(['delete', '--force', id]);
  });

  it('--stats prints one stats line with the PIDs and memory in use', () => {
    const id = 'stats';
    const b = bed.bundle((s) => {
      s.process!.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.linux!.resources = { pids: { limit: 30 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const text = bed.keel.ok(['events', '--stats', id]);
    expect(text.split('\n')).toHaveLength(2); // one line and its newline
    const e = JSON.parse(text) as { type: string; id: string; data: { pids: { current: number; limit: number }; memory: { usage: { usage: number } }; cpu: { usage: { total: number } } } };
    expect(e).toMatchObject({ type: 'stats', id, data: { pids: { current: 3, limit: 30 } } });
    expect(e.data.memory.usage.usage).toBeGreaterThan(0);
    expect(e.data.cpu.usage.total).toBeGreaterThan(0);
    bed.keel.ok(['delete', '--force', id]);
  });

  it('refuses a stopped or unknown container in one line', () => {
    const id = 'stopped';
    const b = bed.bundle((s) => (s.process!.args = ['true']));
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(bed.keel.run(['events', '--stats', id])).toMatchObject({ code: 1, stdout: '', stderr: `keel: cannot read the events of container "${id}": it is stopped\n` });
    expect(bed.keel.run(['events', id])).toMatchObject({ code: 1, stderr: `keel: cannot read the events of container "${id}": it is stopped\n` });
    expect(bed.keel.run(['events', '--stats', 'no-such'])).toMatchObject({ code: 1, stderr: 'keel: container "no-such" does not exist\n' });
    bed.keel.ok(['delete', id]);
  });

  // (runc is required: `make test` installs it, and the pure v2 guest sees the host's.)
  it('--stats has the keys runc prints for the same config', () => {
    // Keys that Go leaves out when the value is 0 and that may be 0 in one container and not the other.
    const VALUE_DEPENDENT = new Set(['memory.cache', 'cpu.throttling.periods', 'cpu.throttling.throttledPeriods', 'cpu.throttling.throttledTime']);
    const config = (name: string) => (s: Parameters<Parameters<typeof bed.bundle>[0] & object>[0]) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = `${parent}/${name}`;
      s.linux!.resources = { memory: { limit: 64 << 20 }, cpu: { shares: 512, quota: 50000, period: 100000 }, pids: { limit: 25 } };
    };
    const keelBundle = bed.bundle(config('cmp-keel'));
    bed.keel.ok(['run', '-d', '--bundle', keelBundle.dir, 'cmp']);
    const runcBundle = bed.bundle(config('cmp-runc'));
    const runcId = `keel-cmp-${process.pid}`;
    expect(runcRoot.run(['run', '-d', '--bundle', runcBundle.dir, runcId])).toMatchObject({ code: 0, stderr: '' });
    const runc = runcRoot.run(['events', '--stats', runcId]);
    expect(runc.code).toBe(0);
    const keel = JSON.parse(bed.keel.ok(['events', '--stats', 'cmp'])) as Event;
    const theirs = JSON.parse(runc.stdout) as Event;
    const keys = (e: Event) => keyPaths(e).filter((k) => !VALUE_DEPENDENT.has(k.replace(/^data\./, ''))).sort();
    expect(keys(keel)).toEqual(keys(theirs));
    // The keys are the same as runc's; these show that they carry the host kind's figures.
    const expected = detectCgroupLayout().mode === 'v2' ? ['data.cpu.usage.total', 'data.memory.raw.anon', 'data.pids.current'] : ['data.cpu.usage.percpu', 'data.memory.raw.total_rss', 'data.pids.current', 'data.cpuset.cpus', 'data.network_interfaces'];
    expect(keys(keel)).toEqual(expect.arrayContaining(expected));
    bed.keel.ok(['delete', '--force', 'cmp']);
  });
});
