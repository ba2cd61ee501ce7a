/**
 * dist/containerd-shim-keel-v1 `delete` as containerd 1.6 runs it (runtime/v2/README.md; its
 * cleanupAfterDeadShim): in the bundle, with -id and -bundle, its stdout read as a DeleteResponse.
 * containerd runs it whenever it closes a connection to a container's shim, so after every
 * Delete and Shutdown as well as after a shim died, and waits for it. When keel's state (under
 * the root keel-shim.json names) holds nothing of the container, the static program answers
 * itself: the rootfs's mounts taken off and runc's shim's answer (exit status 137). Whether Node
 * ran is told by a NODE_OPTIONS node refuses to start with. Anything keel still holds goes to
 * Node's delete, which kills and removes it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { DeleteResponse } from '../../src/shim/messages.js';
import { decode } from '../../src/protobuf/proto3.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually, mountsMentioning } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

const SHIM = join(new URL('../..', import.meta.url).pathname, 'dist/containerd-shim-keel-v1');
/** node refuses to start with this (exit status 9): a run that needs Node fails. */
const NO_NODE = { NODE_OPTIONS: '--keel-no-such-option' };

let dir: string;
const bundles: Bundle[] = [];
let keel: KeelRoot | undefined;

beforeAll(() => {
  requireRootAndBuild();
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-delete-'));
});

afterEach(() => {
  keel?.cleanup();
  keel = undefined;
  for (const b of bundles.splice(0)) {
    for (let i = 0; i < 4 && mountsMentioning(`${b.rootfs} `).length; i++) spawnSync('umount', [b.rootfs]);
    b.remove();
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A bundle as the shim's Create leaves it: keel-shim.json naming the state root, the snapshot mounted on rootfs. */
function shimBundle(root: string, opts: { stateFile?: boolean; mounts?: number } = {}): Bundle {
  const b = makeBundle();
  bundles.push(b);
  if (opts.stateFile ?? true) writeFileSync(join(b.dir, 'keel-shim.json'), JSON.stringify({ root }));
  for (let i = 0; i < (opts.mounts ?? 1); i++) expect(spawnSync('mount', ['--bind', b.rootfs, b.rootfs]).status).toBe(0);
  return b;
}

function shimDelete(b: Bundle, id: string, env: Record<string, string> = {}) {
  const args = ['-namespace', 'ns1', '-address', join(dir, 'containerd.sock'), '-publish-binary', '/usr/bin/containerd', '-id', id, '-bundle', b.dir, 'delete'];
  const r = spawnSync(SHIM, args, { cwd: b.dir, timeout: 30_000, env: { PATH: '/usr/bin:/bin', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const mounted = (b: Bundle) => mountsMentioning(` ${b.rootfs} `).length;

/** Running, not a zombie waiting for its parent. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

describe('containerd-shim-keel-v1 delete', () => {
  it("answers itself for a container keel's state no longer holds: the rootfs unmounted, exit status 137 as runc's shim", () => {
    const root = join(dir, 'root-gone');
    mkdirSync(root);
    const b = shimBundle(root, { mounts: 2 });
    expect(mounted(b)).toBe(2);
    const before = Date.now();
    const r = shimDelete(b, 'gone', NO_NODE);
    const after = Date.now();
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const response = decode(DeleteResponse, r.stdout);
    expect({ pid: response.pid, exitStatus: response.exitStatus }).toEqual({ pid: 0, exitStatus: 137 });
    const at = response.exitedAt as { seconds: bigint; nanos: number };
    const ms = Number(at.seconds) * 1000 + at.nanos / 1e6;
    expect(ms).toBeGreaterThanOrEqual(before - 1);
    expect(ms).toBeLessThanOrEqual(after + 1);
    expect(mounted(b)).toBe(0);
  });

  it("answers as Node's delete answers for the same bundle", () => {
    const root = join(dir, 'root-gone-too');
    const fast = shimDelete(shimBundle(root), 'gone');
    // Node's delete, run directly on the .cjs.
    const b = shimBundle(root);
    const args = [`${SHIM}.cjs`, '-namespace', 'ns1', '-address', join(dir, 'containerd.sock'), '-id', 'gone', '-bundle', b.dir, 'delete'];
    const slow = spawnSync(process.execPath, args, { cwd: b.dir, env: { PATH: '/usr/bin:/bin' } });
    expect(slow.status).toBe(0);
    const fields = (bytes: Buffer) => {
      const m = decode(DeleteResponse, bytes);
      return { pid: m.pid, exitStatus: m.exitStatus, hasExitedAt: m.exitedAt !== undefined };
    };
    expect(fields(fast.stdout)).toEqual(fields(slow.stdout));
    expect(mounted(b)).toBe(0);
  });

  it('leaves a container keel still holds to Node, which kills it and removes its state and rootfs mount', async () => {
    const k = (keel = new KeelRoot());
    const b = shimBundle(k.root);
    b.spec.process!.args = ['sleep', '300'];
    b.save();
    k.ok(['create', '--bundle', b.dir, 'held']);
    k.ok(['start', 'held']);
    const pid = (JSON.parse(k.ok(['state', 'held'])) as { pid: number }).pid;

    const refused = shimDelete(b, 'held', NO_NODE);
    expect(refused.status).toBe(9); // node would not start: the program did not answer itself
    expect(k.containers()).toEqual(['held']);
    expect(alive(pid)).toBe(true);

    const r = shimDelete(b, 'held');
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(decode(DeleteResponse, r.stdout)).toMatchObject({ pid, exitStatus: 137 });
    expect(k.containers()).toEqual([]);
    expect(await eventually(() => !alive(pid))).toBe(true);
    expect(mounted(b)).toBe(0);
  });

  it('leaves to Node a claim of the id in progress, a bundle without keel-shim.json and an id no state directory can have', () => {
    const root = join(dir, 'root-claimed');
    mkdirSync(join(root, `claimed@creating.${process.pid}`), { recursive: true });
    expect(shimDelete(shimBundle(root), 'claimed', NO_NODE).status).toBe(9);
    expect(shimDelete(shimBundle(root, { stateFile: false }), 'no-file', NO_NODE).status).toBe(9);
    expect(shimDelete(shimBundle(root), '..', NO_NODE).status).toBe(9);
    const b = shimBundle(root);
    writeFileSync(join(b.dir, 'keel-shim.json'), '{"root": "relative"}');
    expect(shimDelete(b, 'other', NO_NODE).status).toBe(9);
  });
});
