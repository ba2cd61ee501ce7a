import { describe, expect, it } from 'vitest';

import { execCgroupDirs, parseExecCgroup } from '../../../src/cgroups/exec-cgroup.js';
import type { CgroupLayout } from '../../../src/cgroups/layout.js';

const hybrid: CgroupLayout = {
  mode: 'hybrid',
  root: '/sys/fs/cgroup',
  v1: [
    { dir: 'pids', options: 'pids' },
    { dir: 'cpu,cpuacct', options: 'cpu,cpuacct' },
  ],
  unifiedDir: 'unified',
};
const dirs = ['/sys/fs/cgroup/pids/keel/c', '/sys/fs/cgroup/cpu,cpuacct/keel/c', '/sys/fs/cgroup/unified/keel/c'];

describe('exec --cgroup', () => {
  it('without values: the container\'s own cgroups', () => {
    expect(execCgroupDirs(hybrid, dirs, [])).toEqual(dirs);
  });

  it('a path alone: that sub-cgroup in every hierarchy', () => {
    expect(execCgroupDirs(hybrid, dirs, ['sub/x'])).toEqual(dirs.map((d) => `${d}/sub/x`));
  });

  it('controllers: only their hierarchies; the last value for a hierarchy wins', () => {
    expect(execCgroupDirs(hybrid, dirs, ['cpuacct:a', 'pids:b', 'pids:c'])).toEqual(['/sys/fs/cgroup/pids/keel/c/c', '/sys/fs/cgroup/cpu,cpuacct/keel/c/a', '/sys/fs/cgroup/unified/keel/c']);
  });

  it('refuses what could leave the container\'s cgroup, an empty path, and controllers on v2', () => {
    expect(() => parseExecCgroup('pids:../../x', 'hybrid')).toThrow(/^--cgroup "pids:\.\.\/\.\.\/x": the path climbs with "\.\."/);
    expect(() => parseExecCgroup('pids:', 'hybrid')).toThrow(/give the sub-cgroup's path/);
    expect(() => parseExecCgroup('memory:sub', 'v2')).toThrow(/cgroup v2 has one hierarchy/);
    expect(parseExecCgroup('/sub//x', 'v2')).toEqual({ controllers: [], path: '/sub/x' });
  });
});
