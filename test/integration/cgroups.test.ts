/** cgroup limits really enforced on this host (hybrid: the v1 controllers), pause/resume, cleanup. */
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';

import { eventually } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const CG = '/sys/fs/cgroup';
const bed = useTestbed();
const bundle = bed.bundle;

afterAll(() => {
  // keel removes a container's own cgroup; the parent this test chose is the test's to remove.
  for (const hierarchy of readdirSync(CG)) {
    if (existsSync(`${CG}/${hierarchy}/keel-test-${process.pid}`)) rmdirSync(`${CG}/${hierarchy}/keel-test-${process.pid}`);
  }
});

const path = (id: string) => `/keel-test-${process.pid}/${id}`;

describe('cgroups (v1 controllers)', () => {
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
    for (const c of ['memory', 'cpu', 'pids', 'freezer']) expect(cgroup).toMatch(new RegExp(`:${c}:${path(id)}\\n`));
    expect(readFileSync(`${CG}/memory${path(id)}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(64 << 20));
    expect(readFileSync(`${CG}/cpu${path(id)}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('20000');
    expect(readFileSync(`${CG}/cpu${path(id)}/cpu.shares`, 'utf8').trim()).toBe('256');
    expect(readFileSync(`${CG}/pids${path(id)}/pids.max`, 'utf8').trim()).toBe('20');
    bed.keel.ok(['delete', '--force', id]);
    for (const c of ['memory', 'cpu', 'pids', 'freezer', 'unified']) expect(existsSync(`${CG}/${c}${path(id)}`)).toBe(false);
  });

  it('the container sees its own limits under /sys/fs/cgroup', () => {
    const b = bundle((s) => {
      s.process!.args = ['cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/pids/pids.max'];
      s.linux!.resources = { memory: { limit: 32 << 20 }, pids: { limit: 7 } };
    });
    expect(bed.keel.ok(['run', '--bundle', b.dir, 'own-view'])).toBe(`${32 << 20}\n7\n`);
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
      // A 64 MB shell variable in a 16 MB cgroup (no swap).
      s.process!.args = ['sh', '-c', 'x=$(head -c 67108864 /dev/zero | tr "\\0" a); echo survived ${#x}'];
      s.linux!.resources = { memory: { limit: 16 << 20, swap: 16 << 20 } };
    });
    const r = bed.keel.run(['run', '--bundle', b.dir, 'oom']);
    expect(r.stdout).not.toContain('survived');
    expect(r.code).not.toBe(0);
  });

  it('pause freezes every process (a counter stops), resume thaws it, and state says paused', async () => {
    const id = 'freeze';
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.01; done'];
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const count = () => Number(readFileSync(`${b.rootfs}/tmp/count`, 'utf8') || 0);
    expect(await eventually(() => existsSync(`${b.rootfs}/tmp/count`) && count() > 3)).toBe(true);
    bed.keel.ok(['pause', id]);
    expect(JSON.parse(bed.keel.ok(['state', id])).status).toBe('paused');
    const frozenAt = count();
    await new Promise((r) => setTimeout(r, 300));
    expect(count()).toBe(frozenAt);
    expect(bed.keel.run(['pause', id])).toMatchObject({ code: 1, stderr: `keel: cannot pause container "${id}": it is paused, not running\n` });
    bed.keel.ok(['resume', id]);
    expect(JSON.parse(bed.keel.ok(['state', id])).status).toBe('running');
    expect(await eventually(() => count() > frozenAt)).toBe(true);
    bed.keel.ok(['pause', id]);
    bed.keel.ok(['delete', '--force', id]); // a paused container can be force-deleted
    expect(bed.keel.containers()).not.toContain(id);
  });

  it('kill --all reaches every process in the container', async () => {
    const id = 'killall';
    const b = bundle((s) => {
      s.process!.args = ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'];
      s.linux!.cgroupsPath = path(id);
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    expect(await eventually(() => readFileSync(`${CG}/pids${path(id)}/cgroup.procs`, 'utf8').trim().split('\n').length === 3)).toBe(true);
    bed.keel.ok(['kill', '--all', id, 'KILL']);
    expect(await eventually(() => readFileSync(`${CG}/pids${path(id)}/cgroup.procs`, 'utf8').trim() === '')).toBe(true);
    bed.keel.ok(['delete', id]);
  });

  it('refuses unified keys on this host with the field named, leaving no cgroup behind', () => {
    const b = bundle((s) => {
      s.linux!.cgroupsPath = path('unified');
      s.linux!.resources = { unified: { 'memory.high': '1G' } };
    });
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
      s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 20 } };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    bed.keel.ok(['update', '--resources', '-', id], { input: JSON.stringify({ pids: { limit: 33 } }) });
    expect(readFileSync(`${CG}/pids${path(id)}/pids.max`, 'utf8').trim()).toBe('33');
    bed.keel.ok(['update', '--memory', '128m', '--cpu-quota', '30000', id]);
    expect(readFileSync(`${CG}/memory${path(id)}/memory.limit_in_bytes`, 'utf8').trim()).toBe(String(128 << 20));
    expect(readFileSync(`${CG}/cpu${path(id)}/cpu.cfs_quota_us`, 'utf8').trim()).toBe('30000');
    expect(bed.keel.run(['update', '--memory', '12x', id])).toMatchObject({ code: 1, stderr: 'keel: --memory "12x": give bytes, optionally with k, m, g or t (e.g. 512m), or -1 for no limit\n' });
    bed.keel.ok(['delete', '--force', id]);
  });
});
