import { describe, expect, it } from 'vitest';

import { MOUNT_ATTR, MS, parseMountOptions } from '../../../src/plan/mount-options.js';
import { planMount } from '../../../src/plan/mounts.js';
import { collectProblems } from '../../helpers/problems.js';
import { compilePlan } from '../../../src/plan/compile.js';
import { planInput } from '../../helpers/plan.js';
import type { Spec } from '../../../src/spec/types.js';

describe('recursive mount options', () => {
  it('become mount_setattr attributes, the later option winning as with the plain ones', () => {
    expect(parseMountOptions(['rro', 'rnosuid']).recursive).toEqual({ set: MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID, clear: 0, options: ['rro', 'rnosuid'] });
    expect(parseMountOptions(['rro', 'rrw']).recursive).toMatchObject({ set: 0, clear: MOUNT_ATTR.RDONLY });
  });

  it('an access-time option clears the whole mode, as the kernel requires (else EINVAL)', () => {
    expect(parseMountOptions(['rnoatime']).recursive).toMatchObject({ set: MOUNT_ATTR.NOATIME, clear: MOUNT_ATTR.ATIME_MODE });
    expect(parseMountOptions(['rnoatime', 'rrelatime']).recursive).toMatchObject({ set: 0, clear: MOUNT_ATTR.ATIME_MODE });
    expect(parseMountOptions(['ratime']).recursive).toMatchObject({ set: MOUNT_ATTR.RELATIME, clear: MOUNT_ATTR.ATIME_MODE });
  });

  it('are applied after the mount, to its destination; a bind still gets its plain flags by remount', () => {
    const ctx = { bundle: '/b', cgroups: { mode: 'v2' as const, root: '/sys/fs/cgroup', v1: [] }, cgroupPath: '/k', cgroupNamespace: true, kindOf: () => 'dir' as const, report: () => {} };
    const plan = planMount({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'nodev', 'rro'] }, 0, ctx);
    expect(plan.map((o) => o.name)).toEqual(['mount', 'mount-setattr']);
    expect(plan[0]!.ints[2]).toBe(BigInt(MS.NODEV));
    expect(plan[1]!.strs).toEqual(['/data']);
    expect(plan[1]!.ints).toEqual([BigInt(MOUNT_ATTR.RDONLY), 0n]);
  });

  it('nosymfollow and lazytime are flags, not filesystem data', () => {
    expect(parseMountOptions(['nosymfollow', 'lazytime'])).toMatchObject({ flags: MS.NOSYMFOLLOW | MS.LAZYTIME, data: [] });
  });
});

describe('id-mapped mounts', () => {
  const userns = (s: Spec) => {
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  };
  const problems = (edit: (s: Spec) => void) => collectProblems((report) => compilePlan({ ...planInput(edit), report }));

  it("take the mount's own mappings; the copy is made before any namespace, and moved among the other mounts", () => {
    const plan = compilePlan(planInput((s) => s.mounts!.push({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'ro'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1001, size: 2 }] })));
    const names = plan.ops.map((o) => o.name);
    expect(names.indexOf('idmap-prepare')).toBeLessThan(names.indexOf('unshare'));
    const prep = plan.ops.find((o) => o.name === 'idmap-prepare')!;
    expect(prep.strs).toEqual(['/srv', '0 1000 1\n', '0 1001 2\n']);
    // rbind with mappings and no "idmap": the tree comes, id-mapped throughout; ro on its top.
    expect(prep.ints).toEqual([0n, 3n, BigInt(MOUNT_ATTR.RDONLY), 0n]);
    const moved = plan.ops.find((o) => o.name === 'mount-idmapped')!;
    expect(moved.strs).toEqual(['/data']);
    expect(names).not.toContain('mount-setattr');
  });

  it("idmap without mappings takes the container's user namespace mappings (config.md's MAY)", () => {
    const plan = compilePlan(planInput((s) => { userns(s); s.mounts!.push({ destination: '/data', source: '/srv', type: 'bind', options: ['idmap'] }); }));
    expect(plan.ops.find((o) => o.name === 'idmap-prepare')!.strs).toEqual(['/srv', '0 100000 65536\n', '0 200000 65536\n']);
  });

  it('without mappings or a user namespace, or on a non-bind mount, is refused naming the mount (a MUST)', () => {
    expect(problems((s) => s.mounts!.push({ destination: '/d', source: '/s', type: 'bind', options: ['idmap'] }))).toEqual([expect.stringMatching(/^\/mounts\/\d+: an id-mapped mount needs uidMappings and gidMappings, or a user namespace/)]);
    expect(problems((s) => { userns(s); s.mounts!.push({ destination: '/d', source: 'tmpfs', type: 'tmpfs', options: ['idmap'] }); })).toEqual([expect.stringMatching(/^\/mounts\/\d+\/type: keel id-maps bind mounts only/)]);
  });
});
