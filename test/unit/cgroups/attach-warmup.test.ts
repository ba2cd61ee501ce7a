import { describe, expect, it } from 'vitest';

import { ownCgroupProcsFiles } from '../../../src/cgroups/attach-warmup.js';

describe('ownCgroupProcsFiles', () => {
  it('puts the cgroup2 files first (unified/ on a hybrid host, the root on a v2 one), then the v1 controllers', () => {
    const hybrid = '9:name=systemd:/\n8:pids:/\n4:memory:/jobs/a1\n2:cpu,cpuacct:/\n0::/\n';
    expect(ownCgroupProcsFiles(hybrid)).toEqual([
      '/sys/fs/cgroup/unified/cgroup.procs',
      '/sys/fs/cgroup/cgroup.procs',
      '/sys/fs/cgroup/pids/cgroup.procs',
      '/sys/fs/cgroup/memory/jobs/a1/cgroup.procs',
      '/sys/fs/cgroup/cpu,cpuacct/cgroup.procs',
    ]);
  });

  it('follows a nested cgroup2 path', () => {
    expect(ownCgroupProcsFiles('0::/user.slice/session-1.scope\n', '/cg')).toEqual([
      '/cg/unified/user.slice/session-1.scope/cgroup.procs',
      '/cg/user.slice/session-1.scope/cgroup.procs',
    ]);
  });

  it('has nothing to offer without /proc/self/cgroup lines', () => {
    expect(ownCgroupProcsFiles('')).toEqual([]);
  });
});
