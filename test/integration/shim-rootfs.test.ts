/**
 * The shim's root file system mounts, made with mount(2) through libkeel, against the same
 * mounts made by mount(8) (util-linux, which the shim ran before): the same entry in
 * /proc/self/mountinfo, the same files seen. And what mount(8) cannot do: an overlay whose
 * lowerdirs take more than a page, as an image of many layers gives.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import type * as Rootfs from '../../src/shim/rootfs.js';
import { KEEL, requireRootAndBuild } from '../helpers/keel.js';

let rootfs: typeof Rootfs;
let dir: string;

beforeAll(async () => {
  requireRootAndBuild();
  process.env.KEEL_NATIVE_DIR = join(KEEL, '..');
  rootfs = await import('../../src/shim/rootfs.js');
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-rootfs-'));
});

afterEach(() => {
  for (const b of bundles.splice(0)) spawnSync('umount', ['-R', join(b, 'rootfs')]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bundles: string[] = [];
let serial = 0;

function bundle(): string {
  const b = join(dir, `bundle-${++serial}`);
  mkdirSync(join(b, 'rootfs'), { recursive: true });
  bundles.push(b);
  return b;
}

/** Layer directories named as containerd's overlayfs snapshotter names them: <root>/snapshots/<n>/fs. */
function layers(count: number, name = 'snapshots'): string[] {
  const root = join(dir, name);
  return Array.from({ length: count }, (_, i) => {
    const fs = join(root, String(i + 1), 'fs');
    mkdirSync(fs, { recursive: true });
    writeFileSync(join(fs, `layer-${i + 1}`), String(i + 1));
    writeFileSync(join(fs, 'top'), String(i + 1));
    return fs;
  });
}

function overlay(lower: string[]): Rootfs.RootMount {
  const upper = join(dir, `upper-${++serial}`);
  mkdirSync(join(upper, 'fs'), { recursive: true });
  mkdirSync(join(upper, 'work'));
  // containerd lists the newest layer first.
  return { type: 'overlay', source: 'overlay', target: '', options: ['index=off', `workdir=${upper}/work`, `upperdir=${upper}/fs`, `lowerdir=${[...lower].reverse().join(':')}`] };
}

/** The mountinfo entries on `target`, bottom first, without the ids and device numbers each new mount gets. */
function mountsOn(target: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' '))
    .filter((f) => f[4] === target)
    .map((f) => [f[5], ...f.slice(f.indexOf('-'))].join(' '));
}

describe('mountRootfs', () => {
  it('mounts an overlay snapshot as mount(8) does', () => {
    // Each with an upper directory of its own: overlayfs marks a new one (and then shows uuid=on).
    const three = layers(3, 'three');
    const m = overlay(three);
    const m8 = overlay(three);
    const ours = bundle();
    const theirs = bundle();
    rootfs.mountRootfs(ours, [m]);
    execFileSync('mount', ['-t', 'overlay', '-o', m8.options.join(','), 'overlay', join(theirs, 'rootfs')]);
    const upper = (o: Rootfs.RootMount) => o.options.find((x) => x.startsWith('upperdir='))!.slice('upperdir='.length, -'/fs'.length);
    const entries = (b: string, o: Rootfs.RootMount) => mountsOn(join(b, 'rootfs')).map((e) => e.replaceAll(upper(o), 'UPPER'));
    expect(entries(ours, m)).toEqual(entries(theirs, m8));
    expect(mountsOn(join(ours, 'rootfs'))).toHaveLength(1);
    expect(readFileSync(join(ours, 'rootfs/top'), 'utf8')).toBe('3');
    expect(readFileSync(join(ours, 'rootfs/layer-1'), 'utf8')).toBe('1');
  });

  it('mounts a read-only bind snapshot as mount(8) does, and it is read-only', () => {
    const [layer] = layers(1, 'bind');
    const ours = bundle();
    const theirs = bundle();
    rootfs.mountRootfs(ours, [{ type: 'bind', source: layer!, target: '', options: ['ro', 'rbind'] }]);
    execFileSync('mount', ['-o', 'ro,rbind', layer!, join(theirs, 'rootfs')]);
    expect(mountsOn(join(ours, 'rootfs'))).toEqual(mountsOn(join(theirs, 'rootfs')));
    expect(mountsOn(join(ours, 'rootfs'))[0]).toMatch(/^ro,/);
    expect(() => writeFileSync(join(ours, 'rootfs/new'), 'x')).toThrow(/EROFS/);
  });

  it('mounts an overlay of 150 layers whose lowerdirs take more than a page, which mount(8) cannot', () => {
    const m = overlay(layers(150, 'snapshots-with-a-long-name-as-under-var-lib-containerd-io.containerd.snapshotter.v1.overlayfs'));
    expect(m.options.join(',').length).toBeGreaterThan(4096);
    const theirs = spawnSync('mount', ['-t', 'overlay', '-o', m.options.join(','), 'overlay', join(bundle(), 'rootfs')], { encoding: 'utf8' });
    expect(theirs.status).not.toBe(0);
    const cwd = process.cwd();
    const ours = bundle();
    rootfs.mountRootfs(ours, [m]);
    expect(readFileSync(join(ours, 'rootfs/top'), 'utf8')).toBe('150');
    expect(readFileSync(join(ours, 'rootfs/layer-1'), 'utf8')).toBe('1');
    // The relative lowerdirs were resolved in a child: this process's working directory is untouched.
    expect(process.cwd()).toBe(cwd);
    expect(mountsOn(join(ours, 'rootfs'))).toHaveLength(1);
  });

  it('fails naming the call and the target, and leaves nothing mounted', () => {
    const b = bundle();
    const good = overlay(layers(1, 'fail'));
    const bad = { ...overlay([join(dir, 'no-such-layer')]) };
    expect(() => rootfs.mountRootfs(b, [good, bad])).toThrow(`cannot mount the container's root file system: mount(2) of overlay from overlay on ${b}/rootfs: no such file or directory`);
    expect(mountsOn(join(b, 'rootfs'))).toEqual([]);
  });
});

describe('unmountRootfs', () => {
  it('takes off every mount stacked on the rootfs; nothing mounted, or no rootfs, is no error', () => {
    const b = bundle();
    const [one, two] = layers(2, 'stacked');
    rootfs.mountRootfs(b, [
      { type: 'bind', source: one!, target: '', options: ['rbind'] },
      { type: 'bind', source: two!, target: '', options: ['rbind', 'ro'] },
    ]);
    expect(mountsOn(join(b, 'rootfs'))).toHaveLength(2);
    rootfs.unmountRootfs(b);
    expect(mountsOn(join(b, 'rootfs'))).toEqual([]);
    rootfs.unmountRootfs(b);
    rootfs.unmountRootfs(join(dir, 'no-such-bundle'));
  });

  it('detaches a rootfs still in use', () => {
    const b = bundle();
    rootfs.mountRootfs(b, [overlay(layers(1, 'busy'))]);
    const fd = openSync(join(b, 'rootfs/top'), 'r');
    try {
      expect(spawnSync('umount', [join(b, 'rootfs')]).status).not.toBe(0);
      rootfs.unmountRootfs(b);
      expect(mountsOn(join(b, 'rootfs'))).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });
});
