/**
 * The mount points a restore makes before CRIU mounts onto them (runc 1.1's
 * prepareCriuRestoreMounts), from podman 4.3's own config of a container and from nested binds.
 */
import { describe, expect, it } from 'vitest';

import { restoreMountpoints } from '../../../src/criu/restore-mountpoints.js';
import type { Mount } from '../../../src/spec/types.js';

const U = '/tmp/pm/runroot/overlay-containers/ec17/userdata';
/** The mounts of `podman run -d busybox ...` (podman 4.3.1, cgroupfs, netns none), as its config.json has them. */
const PODMAN: Mount[] = [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'noexec', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/etc/hosts', type: 'bind', source: `${U}/hosts`, options: ['bind', 'rprivate'] },
  { destination: '/dev/shm', type: 'bind', source: '/tmp/pm/root/overlay-containers/ec17/userdata/shm', options: ['bind', 'rprivate', 'nosuid', 'noexec', 'nodev'] },
  { destination: '/run/.containerenv', type: 'bind', source: `${U}/.containerenv`, options: ['bind', 'rprivate'] },
  { destination: '/etc/hostname', type: 'bind', source: `${U}/hostname`, options: ['bind', 'rprivate'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
];
const files = new Set([`${U}/hosts`, `${U}/.containerenv`, `${U}/hostname`, '/srv/note']);
const kindOf = (path: string) => (files.has(path) ? ('file' as const) : ('dir' as const));

describe('restoreMountpoints', () => {
  it("podman's container: every mount point in the rootfs but those below /dev's tmpfs, /sys and the cgroup's", () => {
    expect(restoreMountpoints(PODMAN, '/b', '/r', kindOf).map(({ root, path, asFile }) => `${root} ${path} ${asFile ? 'file' : 'dir'}`)).toEqual([
      '/r /proc dir',
      '/r /dev dir',
      '/r /sys dir',
      '/r /etc/hosts file',
      '/r /run/.containerenv file',
      '/r /etc/hostname file',
    ]);
  });

  it('a point below a bind is made in the bind\'s source; a relative source is the bundle\'s', () => {
    const mounts: Mount[] = [
      { destination: '/data', type: 'bind', source: 'vol', options: ['rbind'] },
      { destination: '/data/inner/note', type: 'none', source: '/srv/note', options: ['bind'] },
      { destination: 'data/../data/sub', type: 'tmpfs', source: 'tmpfs' },
      { destination: '/data/sub/x', type: 'bind', source: '/srv/x', options: ['bind'] },
    ];
    expect(restoreMountpoints(mounts, '/b', '/r', kindOf)).toEqual([
      { root: '/r', path: '/data', asFile: false, destination: '/data' },
      { root: '/b/vol', path: '/inner/note', asFile: true, destination: '/data/inner/note' },
      { root: '/b/vol', path: '/sub', asFile: false, destination: '/data/sub' },
    ]);
  });
});
