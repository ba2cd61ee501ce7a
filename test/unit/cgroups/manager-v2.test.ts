/** The v2 side of the cgroup manager against a fake cgroupfs tree in a temp dir (files in, files out). */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { cgroupKill, cgroupPids, enableV2Controllers } from '../../../src/cgroups/manager.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A cgroup directory with the given files. */
function cgroup(path: string, files: Record<string, string>): string {
  const dir = join(root, path);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('cgroup v2 manager (fake cgroupfs)', () => {
  it('enables every controller the parent offers at each level, and makes the missing levels', () => {
    root = mkdtempSync(join(tmpdir(), 'keel-cg2-'));
    cgroup('', { 'cgroup.controllers': 'cpuset cpu io memory pids\n', 'cgroup.subtree_control': '' });
    cgroup('outer', { 'cgroup.controllers': 'cpu memory pids\n', 'cgroup.subtree_control': 'memory\n' });
    enableV2Controllers({ mode: 'v2', root, v1: [] }, '/outer/leaf', new Set(['pids']));
    // A fake file keeps the last write; the kernel would add them up.
    expect(readFileSync(join(root, 'cgroup.subtree_control'), 'utf8')).toBe('+cpuset +cpu +io +memory +pids');
    expect(readFileSync(join(root, 'outer/cgroup.subtree_control'), 'utf8')).toBe('+cpu +pids');
    expect(statSync(join(root, 'outer/leaf')).isDirectory()).toBe(true);
  });

  it('lists the processes of nested cgroups too, and kills through cgroup.kill where there is one', () => {
    root = mkdtempSync(join(tmpdir(), 'keel-cg2-'));
    const leaf = cgroup('leaf', { 'cgroup.procs': '10\n11\n', 'cgroup.kill': '' });
    cgroup('leaf/inner', { 'cgroup.procs': '12\n' });
    cgroup('leaf/inner/deeper', { 'cgroup.procs': '' });
    expect(cgroupPids([leaf]).sort()).toEqual([10, 11, 12]);
    expect(cgroupKill([leaf])).toBe(true);
    expect(readFileSync(join(leaf, 'cgroup.kill'), 'utf8')).toBe('1');
    expect(cgroupKill([cgroup('v1-only', { 'cgroup.procs': '' })])).toBe(false);
    // A write that fails (here: not a file) is a false, for the caller to fall back on PIDs.
    mkdirSync(join(cgroup('odd', {}), 'cgroup.kill'));
    expect(cgroupKill([join(root, 'odd')])).toBe(false);
  });
});
