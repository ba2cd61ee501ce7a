/**
 * Where a container's processes run and take memory from: linux.memoryPolicy (set_mempolicy; the
 * kernel shows the policy in /proc/self/numa_maps) for the init and exec'd processes, and
 * process.execCPUAffinity (sched_setaffinity) for exec'd processes (config.md: not the init).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { mountsMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import type { LinuxMemoryPolicy } from '../../src/spec/types.js';

const bed = useTestbed();
const policyOf = (numaMaps: string) => [...new Set(numaMaps.trim().split('\n').map((l) => l.split(' ')[1]))];

describe('linux.memoryPolicy', () => {
  const run = (memoryPolicy: LinuxMemoryPolicy | undefined, name: string) => {
    const b = bed.bundle((s) => {
      s.process!.args = ['cat', '/proc/self/numa_maps'];
      if (memoryPolicy) s.linux!.memoryPolicy = memoryPolicy;
    });
    return bed.keel.run(['run', '--bundle', b.dir, `${name}-${process.pid}`]);
  };

  it('sets the mode, flags and nodes the config names (numa_maps shows them); without it, the default', () => {
    expect(policyOf(run({ mode: 'MPOL_BIND', nodes: '0' }, 'mpol-bind').stdout)).toEqual(['bind:0']);
    expect(policyOf(run({ mode: 'MPOL_INTERLEAVE', nodes: '0', flags: ['MPOL_F_STATIC_NODES'] }, 'mpol-il').stdout)).toEqual(['interleave=static:0']);
    expect(policyOf(run({ mode: 'MPOL_LOCAL' }, 'mpol-local').stdout)).toEqual(['local']);
    expect(policyOf(run(undefined, 'mpol-none').stdout)).toEqual(['default']);
  });

  it('a node this host lacks is refused naming the field, before anything is created', () => {
    const r = run({ mode: 'MPOL_BIND', nodes: '0,7' }, 'mpol-missing');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/config\.json: \/linux\/memoryPolicy\/nodes: node 7 does not exist on this host \(it has 0/);
    expect(bed.keel.containers()).toEqual([]);
  });

  it('MPOL_BIND without nodes and MPOL_DEFAULT with nodes are refused, as runc', () => {
    expect(run({ mode: 'MPOL_BIND' }, 'mpol-bind-none').stderr).toMatch(/\/linux\/memoryPolicy\/nodes: MPOL_BIND needs at least one node/);
    expect(run({ mode: 'MPOL_DEFAULT', nodes: '0' }, 'mpol-default-nodes').stderr).toMatch(/\/linux\/memoryPolicy\/nodes: MPOL_DEFAULT takes no nodes/);
  });

  it("keel exec's processes take the container's policy too (as runc's setns init)", () => {
    const id = `mpol-exec-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '30'];
      s.linux!.memoryPolicy = { mode: 'MPOL_PREFERRED', nodes: '0' };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    try {
      expect(policyOf(bed.keel.ok(['exec', id, 'cat', '/proc/self/numa_maps']))).toEqual(['prefer:0']);
    } finally {
      bed.keel.run(['delete', '-f', id]);
    }
    expect(mountsMentioning(b.dir)).toEqual([]);
  });
});

describe('process.execCPUAffinity', () => {
  const allowed = (status: string) => /Cpus_allowed_list:\s*(\S+)/.exec(status)?.[1];

  it("exec's process runs on `final` once in the container's cgroup, on `initial` when final is absent; the init is left alone", () => {
    const id = `aff-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '30'];
      s.process!.execCPUAffinity = { initial: '0', final: '1' };
    });
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    try {
      const host = allowed(bed.keel.ok(['exec', id, 'cat', '/proc/1/status']));
      expect(host).toBe('0-1');
      expect(allowed(bed.keel.ok(['exec', id, 'cat', '/proc/self/status']))).toBe('1');
      const file = join(b.dir, 'initial-only.json');
      writeFileSync(file, JSON.stringify({ args: ['cat', '/proc/self/status'], cwd: '/', env: ['PATH=/bin'], execCPUAffinity: { initial: '0' } }));
      expect(allowed(bed.keel.ok(['exec', '--process', file, id]))).toBe('0');
      // A CPU the host does not have fails the exec, naming the field.
      writeFileSync(file, JSON.stringify({ args: ['true'], cwd: '/', env: ['PATH=/bin'], execCPUAffinity: { final: '63' } }));
      const r = bed.keel.run(['exec', '--process', file, id]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/run on CPUs 63 \(process\.execCPUAffinity\.final: in the container's cgroup\).*invalid argument/);
    } finally {
      bed.keel.run(['delete', '-f', id]);
    }
  });

  it('a malformed list is refused naming the field', () => {
    const b = bed.bundle((s) => (s.process!.execCPUAffinity = { final: '3-1' }));
    const r = bed.keel.run(['create', '--bundle', b.dir, `aff-bad-${process.pid}`]);
    expect(r.stderr).toMatch(/\/process\/execCPUAffinity\/final: "3-1" in "3-1" is a range whose end comes before its start/);
    expect(bed.keel.containers()).toEqual([]);
  });
});
