import { describe, expect, it } from 'vitest';

import { parseV1Layout } from '../../../src/cgroups/layout.js';

const MOUNTINFO = `24 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 24 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
33 30 0:29 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
34 30 0:30 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

describe('parseV1Layout', () => {
  it('finds each v1 hierarchy with its options, and the unified mount of a hybrid host', () => {
    expect(parseV1Layout('/sys/fs/cgroup', MOUNTINFO)).toEqual({
      mode: 'hybrid',
      root: '/sys/fs/cgroup',
      v1: [
        { dir: 'cpu,cpuacct', options: 'cpu,cpuacct' },
        { dir: 'memory', options: 'memory' },
        { dir: 'systemd', options: 'name=systemd' },
      ],
      unifiedDir: 'unified',
    });
  });

  it('is legacy v1 without a cgroup2 mount', () => {
    expect(parseV1Layout('/sys/fs/cgroup', MOUNTINFO.split('\n').slice(0, 5).join('\n')).mode).toBe('v1');
  });
});
