/**
 * containerd's root file system mounts as mount(2) calls. The mounts are as containerd 1.6.20's
 * snapshotters sent them on this project's machine (overlayfs: index=off, workdir, upperdir,
 * lowerdir; native, or a one-layer view: a bind with rbind and ro); the flags are mount(2)'s
 * (linux/mount.h), and the call order is the one containerd's mount package uses (the mount,
 * then its propagation, then the read-only remount a bind needs). test/integration/shim-rootfs.test.ts
 * compares the mounts made with those mount(8) makes.
 */
import { describe, expect, it } from 'vitest';

import { commonDirectory, MAX_MOUNT_DATA, mountCalls } from '../../../src/shim/rootfs-mounts.js';

const MS_RDONLY = 1;
const MS_REMOUNT = 32;
const MS_BIND = 4096;
const MS_REC = 16384;
const MS_PRIVATE = 1 << 18;

describe('mountCalls', () => {
  it("mounts an overlay snapshot with its options as the data, as containerd's overlayfs snapshotter sends it", () => {
    const m = { type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'workdir=/s/2/work', 'upperdir=/s/2/fs', 'lowerdir=/s/1/fs'] };
    expect(mountCalls(m, '/b/rootfs')).toEqual([{ source: 'overlay', fstype: 'overlay', flags: 0, data: 'index=off,workdir=/s/2/work,upperdir=/s/2/fs,lowerdir=/s/1/fs', dir: '' }]);
  });

  it('makes a read-only bind with a bind, then a read-only remount (the kernel ignores MS_RDONLY on the bind itself)', () => {
    expect(mountCalls({ type: 'bind', source: '/s/1/fs', target: '', options: ['ro', 'rbind'] }, '/r')).toEqual([
      { source: '/s/1/fs', fstype: '', flags: MS_RDONLY | MS_BIND | MS_REC, data: '', dir: '' },
      { source: '', fstype: '', flags: MS_REMOUNT | MS_BIND | MS_RDONLY, data: '', dir: '' },
    ]);
  });

  it('takes the type bind or rbind as the flag, as mount(8) takes -t bind', () => {
    expect(mountCalls({ type: 'rbind', source: '/s', target: '', options: [] }, '/r')).toEqual([{ source: '/s', fstype: '', flags: MS_BIND | MS_REC, data: '', dir: '' }]);
    expect(mountCalls({ type: 'bind', source: '/s', target: '', options: ['rw'] }, '/r')).toEqual([{ source: '/s', fstype: '', flags: MS_BIND, data: '', dir: '' }]);
  });

  it('sets the propagation in a call of its own', () => {
    expect(mountCalls({ type: 'bind', source: '/s', target: '', options: ['rbind', 'rprivate'] }, '/r')).toEqual([
      { source: '/s', fstype: '', flags: MS_BIND | MS_REC, data: '', dir: '' },
      { source: '', fstype: '', flags: MS_PRIVATE | MS_REC, data: '', dir: '' },
    ]);
  });

  // 128 layers of a snapshotter under /var/lib/containerd: each lowerdir is ~75 bytes, ~9.6 KB in all.
  const root = '/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots';
  const layers = Array.from({ length: 128 }, (_, i) => `${root}/${1000 - i}/fs`);
  const many = { type: 'overlay', source: 'overlay', target: '', options: ['index=off', `workdir=${root}/2000/work`, `upperdir=${root}/2000/fs`, `lowerdir=${layers.join(':')}`] };

  it('gives lowerdirs that do not fit in a page relative to their common directory, and mounts from there', () => {
    expect(many.options.join(',').length).toBeGreaterThan(MAX_MOUNT_DATA);
    const [call, ...more] = mountCalls(many, '/b/rootfs');
    expect(more).toEqual([]);
    expect(call!.dir).toBe(root);
    // upperdir and workdir stay absolute; the lowerdirs keep their order.
    expect(call!.data).toBe(`index=off,workdir=${root}/2000/work,upperdir=${root}/2000/fs,lowerdir=${layers.map((l) => l.slice(root.length + 1)).join(':')}`);
    expect(call!.data.length).toBeLessThanOrEqual(MAX_MOUNT_DATA);
  });

  it('keeps absolute lowerdirs when they fit', () => {
    const few = { ...many, options: many.options.map((o) => (o.startsWith('lowerdir=') ? `lowerdir=${layers.slice(0, 20).join(':')}` : o)) };
    expect(mountCalls(few, '/b/rootfs')[0]!.dir).toBe('');
  });

  it('refuses options too long even when relative, naming the mount, both lengths and the limit', () => {
    expect(() => mountCalls(many, '/b/rootfs', 1000)).toThrow(
      /^cannot mount the container's root file system \(overlay from overlay on \/b\/rootfs\): its options are 9\d{3} bytes \(1\d{3} with the lowerdirs relative to \/var\/lib\/containerd\/io\.containerd\.snapshotter\.v1\.overlayfs\/snapshots\), more than the 1000 mount\(2\) takes; use an image with fewer layers$/,
    );
  });

  it('refuses what mount(2) alone cannot do, naming the option, rather than pass it as data', () => {
    expect(() => mountCalls({ type: 'ext4', source: '/img', target: '', options: ['loop'] }, '/r')).toThrow(`cannot mount the container's root file system (ext4 from /img on /r): keel's shim does not support the option "loop"`);
    expect(() => mountCalls({ type: 'bind', source: '/s', target: '', options: ['rbind', 'rro'] }, '/r')).toThrow('does not support the option "rro"');
  });
});

describe('commonDirectory', () => {
  it('is the deepest directory above every path, by whole components', () => {
    expect(commonDirectory(['/s/snapshots/1/fs', '/s/snapshots/12/fs'])).toBe('/s/snapshots');
    expect(commonDirectory(['/a/b/c', '/a/b/c/d/e'])).toBe('/a/b');
    expect(commonDirectory(['/a/x', '/b/x'])).toBe('');
    expect(commonDirectory(['/a/x'])).toBe('');
  });
});
