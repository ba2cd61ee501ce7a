/**
 * cgroup limits really enforced, pause/resume, kill --all, cleanup: on this host's layout. The
 * project's machines are hybrid (v1 controllers); `make test-cgroup2` runs this same file on a pure
 * cgroup v2 kernel, where each check reads the v2 file instead.
 */
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { sharesToWeight } from '../../src/cgroups/resources.js';
import { eventually } from '../helpers/host.js';
import { swapAccounting } from '../helpers/host-features.js';
import { useTestbed } from '../helpers/testbed.js';

const CG = '/sys/fs/cgroup';
const layout = detectCgroupLayout();
const v2 = layout.mode === 'v2';
const bed = useTestbed();
const bundle = bed.bundle;

afterAll(() => {
  // keel removes a container's own cgroup; the parent this test chose is the test's to remove.
  const parent = `/keel-test-${process.pid}`;
  if (v2 && existsSync(CG + parent)) rmdirSync(CG + parent);
  if (v2) return;
  for (const hierarchy of readdirSync(CG)) {
    if (existsSync(`${CG}/${hierarchy}${parent}`)) rmdirSync(`${CG}/${hierarchy}${parent}`);
  }
});

const path = (id: string) => `/keel-test-${process.pid}/${id}`;
/** The container's directory that holds `controller`'s files: one directory for all on v2. */
const dirOf = (controller: string, id: string) => (v2 ? `${CG}${path(id)}` : `${CG}/${controller}${path(id)}`);
const read = (controller: string, id: string, file: string) => readFileSync(`${dirOf(controller, id)}/${file}`, 'utf8').trim();
/** The memory limit and the cpu quota as this host's files say them. */
const memoryLimit = (id: string) => Number(read('memory', id, v2 ? 'memory.max' : 'memory.limit_in_bytes'));
const cpuQuota = (id: string) => (v2 ? read('cpu', id, 'cpu.max') : `${read('cpu', id, 'cpu.cfs_quota_us')} ${read('cpu', id, 'cpu.cfs_period_us')}`);

describe(`cgroups (${layout.mode})`, () => {
  it('places the container in its cgroup in every hierarchy, with the limits written, and removes it at delete', () => {
    const id = 'limits';
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = path(id);
      s.linux!.resources = { memory: { limit: 64 << 20 }, cpu: { quota: 20000, period: 100000, shares: 256 }, pids: { limit: 20 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const pid = JSON.parse(bed.keel.ok(['state', id])).pid as number;
    const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    if (v2) expect(cgroup).toBe(`0::${path(id)}\n`);
    else for (const c of ['memory', 'cpu', 'pids', 'freezer']) expect(cgroup).toMatch(new RegExp(`:${c}:${path(id)}\\n`));
    expect(memoryLimit(id)).toBe(64 << 20);
    expect(cpuQuota(id)).toBe('20000 100000');
    expect(read('cpu', id, v2 ? 'cpu.weight' : 'cpu.shares')).toBe(String(v2 ? sharesToWeight(256) : 256));
    expect(read('pids', id, 'pids.max')).toBe('20');
    bed.keel.ok(['delete', '--force', id]);
    if (v2) expect(existsSync(`${CG}${path(id)}`)).toBe(false);
    else for (const c of ['memory', 'cpu', 'pids', 'freezer', 'unified']) expect(existsSync(`${CG}/${c}${path(id)}`)).toBe(false);
  });

  it('the container sees its own limits under /sys/fs/cgroup', () => {
    const b = bundle((s) => {
      // In its cgroup namespace the container's own cgroup is the root of what it mounts.
      s.process!.args = v2 ? ['cat', '/proc/self/cgroup', '/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/pids.max'] : ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max'];
      s.linux!.resources = { memory: { limit: 32 << 20 }, pids: { limit: 7 } };
    });
    expect(bed.keel.ok(['run', '--bundle', b.dir, 'own-view'])).toBe(`${v2 ? '0::/\n' : ''}${32 << 20}\n7\n`);
  });

  it('a pids limit makes fork fail inside', () => {
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; wait'];
      s.linux!.resources = { pids: { limit: 4 } };
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, 'forks']);
    expect(r.stdout + r.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
  });

  it('a memory limit gets an allocating process OOM-killed', () => {
    const b = bundle((s) => {
      // A 64 MB shell variable in a 16 MB cgroup, swap included where the kernel accounts it (where
      // it does not, a swap limit is refused: cgroups-vs-runc.test.ts).
      s.process!.args = ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'];
      s.linux!.resources = { memory: { limit: 16 << 20, ...(swapAccounting() ? { swap: 16 << 20 } : {}) } };
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, 'oom']);
    expect(r.stdout).not.toContain('survived');
    expect(r.code).not.toBe(0);
  });

  it('pause freezes every process (a counter stops), resume thaws it, and state says paused', async () => {
    const id = 'freeze';
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.01; done'];
      s.linux!.cgroupsPath = path(id);
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const count = () => Number(readFileSync(`${b.rootfs}/tmp/count`, 'utf8') || 0);
    expect(await eventually(() => existsSync(`${b.rootfs}/tmp/count`) && count() > 3)).toBe(true);
    bed.keel.ok(['pause', id]);
    expect(JSON.parse(bed.keel.ok(['state', id])).status).toBe('paused');
    // The kernel's own word that every process is frozen.
    if (v2) expect(read('freezer', id, 'cgroup.events')).toMatch(/^frozen 1$/m);
    else expect(read('freezer', id, 'freezer.state')).toBe('FROZEN');
    const frozenAt = count();
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(frozenAt);
    expect(bed.keel.run(['pause', id])).toMatchObject({ code: 1, stderr: `keel: cannot pause container "${id}": it is paused, not running\n` });
    bed.keel.ok(['resume', id]);
    expect(JSON.parse(bed.keel.ok(['state', id])).status).toBe('running');
    if (v2) expect(read('freezer', id, 'cgroup.events')).toMatch(/^frozen 0$/m);
    expect(await eventually(() => count() > frozenAt)).toBe(true);
    bed.keel.ok(['pause', id]);
    bed.keel.ok(['delete', '--force', id]); // a paused container can be force-deleted
    expect(bed.keel.containers()).not.toContain(id);
    expect(existsSync(dirOf('freezer', id))).toBe(false);
  });

  it.each([[['KILL']], [['--all', 'KILL']]])('kill %j of a paused container thaws it, so that it stops and a plain delete works (as runc)', async (args) => {
    const id = `pausedkill${args.length}`;
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
      s.linux!.cgroupsPath = path(id);
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    bed.keel.ok(['pause', id]);
    const [flags, signal] = args.length === 2 ? [[args[0]!], args[1]!] : [[], args[0]!];
    bed.keel.ok(['kill', ...flags, id, signal]);
    expect(await eventually(() => JSON.parse(bed.keel.ok(['state', id])).status === 'stopped')).toBe(true);
    bed.keel.ok(['delete', id]);
    expect(existsSync(dirOf('freezer', id))).toBe(false);
  });

  it('kill --all reaches every process in the container', async () => {
    const id = 'killall';
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
      s.linux!.cgroupsPath = path(id);
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(await eventually(() => read('pids', id, 'cgroup.procs').split('\n').length === 3)).toBe(true);
    bed.keel.ok(['kill', '--all', id, 'KILL']);
    expect(await eventually(() => read('pids', id, 'cgroup.procs') === '')).toBe(true);
    bed.keel.ok(['delete', id]);
  });

  it('unified keys: written as given on v2; refused on v1 and hybrid hosts with the field named, leaving no cgroup behind', () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path('unified');
      s.linux!.resources = { unified: { 'memory.high': '1G', 'pids.max': '9' } };
    });
    if (v2) {
      bed.keel.ok(['create', '--bundle', b.dir, 'unified']);
      expect(read('memory', 'unified', 'memory.high')).toBe(String(1 << 30));
      expect(read('pids', 'unified', 'pids.max')).toBe('9');
      bed.keel.ok(['delete', '--force', 'unified']);
      expect(existsSync(dirOf('memory', 'unified'))).toBe(false);
      return;
    }
    const r = bed.keel.run(['create', '--bundle', b.dir, 'unified']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: config\.json: \/linux\/resources\/unified: these are cgroup v2 files/);
    expect(existsSync(`${CG}/memory${path('unified')}`)).toBe(false);
    expect(bed.keel.containers()).toEqual(expect.not.arrayContaining(['unified']));
  });

  it('ps lists the processes in the container (json: their PIDs; table: ps output with ps options)', () => {
    const id = 'ps';
    const b = bundle((s) => (s.process!.args = ['sh', '-c', 'sleep 1000 & wait']));
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const pids = JSON.parse(bed.keel.ok(['ps', '--format', 'json', id])) as number[];
    expect(pids).toHaveLength(2);
    const table = bed.keel.ok(['ps', id, '-o', 'pid,comm']).trim().split('\n');
    expect(table[0]!.trim()).toBe('PID COMMAND');
    expect(table.slice(1).map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['sh', 'sleep']);
    bed.keel.ok(['delete', '--force', id]);
  });

  it('update changes a live limit, from --resources - (as Docker sends it) and from runc flags', () => {
    const id = 'update';
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = path(id);
      s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 20 }, cpu: { quota: 20000, period: 50000 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    bed.keel.ok(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 33 } }) });
    expect(read('pids', id, 'pids.max')).toBe('33');
    bed.keel.ok(['update', '--memory', '128m', '--cpu-quota', '30000', id]);
    expect(memoryLimit(id)).toBe(128 << 20);
    expect(cpuQuota(id)).toBe('30000 50000'); // a new quota keeps the period
    bed.keel.ok(['update', '--cpu-period', '80000', id]);
    expect(cpuQuota(id)).toBe('30000 80000'); // and a new period keeps the quota
    expect(bed.keel.run(['update', '--memory', '12x', id])).toMatchObject({ code: 1, stderr: 'keel: --memory "12x": give bytes, optionally with k, m, g or t (e.g. 512m), or -1 for no limit\n' });
    bed.keel.ok(['delete', '--force', id]);
  });
});
