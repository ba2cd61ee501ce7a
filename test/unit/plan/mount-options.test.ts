import { describe, expect, it } from 'vitest';

import { MOUNT_ATTR, MS, parseMountOptions } from '../../../src/plan/mount-options.js';
import { planMount } from '../../../src/plan/mounts.js';
import { collectProblems } from '../../helpers/problems.js';

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

  it('idmap and ridmap without mappings are still refused, naming the mount', () => {
    const ctx = { bundle: '/b', cgroups: { mode: 'v2' as const, root: '/sys/fs/cgroup', v1: [] }, cgroupPath: '/k', cgroupNamespace: true, kindOf: () => 'dir' as const };
    expect(collectProblems((report) => planMount({ destination: '/d', source: '/s', type: 'bind', options: ['idmap'] }, 3, { ...ctx, report }))).toEqual([expect.stringMatching(/^\/mounts\/3\/options: /)]);
  });
});
