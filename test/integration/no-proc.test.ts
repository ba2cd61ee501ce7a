/**
 * A config without a /proc mount, keel beside runc 1.1.5 on the same bundles. runc fails every
 * such container ("error closing exec fds: open /proc/self/fd: no such file or directory"). keel
 * runs those that need no /proc, and refuses the fields it applies through /proc/self/fd after
 * pivot_root in one line that says so: root.readonly before anything is made, naming the field; a
 * masked or read-only path that exists, at that step (docs/differences-from-runc.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { mountsMentioning } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild, type KeelResult } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

let keel: KeelRoot;
let runc: RuncRoot;
const bundles: Bundle[] = [];

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  runc = new RuncRoot();
});
afterAll(() => {
  keel?.cleanup();
  runc?.cleanup();
  for (const b of bundles) b.remove();
});

/** `run` of one bundle under keel and runc; the bundle keeps keel spec's mounts but /proc, and no masked or read-only paths unless `edit` adds them. */
function runBoth(name: string, edit: (s: Spec) => void): { keel: KeelResult; runc: KeelResult; bundle: Bundle } {
  const b = makeBundle((s) => {
    s.process!.args = ['sh', '-c', 'touch /probe 2>/dev/null && echo rw || echo ro'];
    s.mounts = s.mounts!.filter((m) => m.destination !== '/proc');
    s.linux!.maskedPaths = [];
    s.linux!.readonlyPaths = [];
    edit(s);
  });
  bundles.push(b);
  const id = `${name}-${process.pid}`;
  const result = { keel: keel.run(['run', '--bundle', b.dir, id]), runc: runc.run(['run', '--bundle', b.dir, id]), bundle: b };
  expect(mountsMentioning(b.dir)).toEqual([]);
  expect([keel.containers(), runc.containers()]).toEqual([[], []]);
  return result;
}

const RUNC_NO_PROC = /open \/proc\/self\/fd: no such file or directory/;

describe('a container without /proc, side by side with runc', () => {
  it('root.readonly: runc fails on the missing /proc; keel refuses in one line naming the field', () => {
    const r = runBoth('noproc-ro', (s) => (s.root!.readonly = true));
    expect(r.runc.code).toBe(1);
    expect(r.runc.stderr).toMatch(RUNC_NO_PROC);
    expect(r.keel.code).toBe(1);
    expect(r.keel.stderr).toMatch(/^keel: \S+config\.json: \/root\/readonly: a read-only root needs \/proc in the container .*add \{"destination": "\/proc", "type": "proc", "source": "proc"\} to \/mounts/);
    expect(r.keel.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('root.readonly with a /proc mount: both make "/" read-only', () => {
    const r = runBoth('proc-ro', (s) => {
      s.root!.readonly = true;
      s.mounts!.push({ destination: '/proc', type: 'proc', source: 'proc' });
    });
    expect([r.runc.stdout, r.runc.code]).toEqual(['ro\n', 0]);
    expect([r.keel.stdout, r.keel.code]).toEqual(['ro\n', 0]);
  });

  it('a masked path that exists: keel fails at the mask saying /proc is missing (runc fails on the missing /proc too)', () => {
    const r = runBoth('noproc-mask', (s) => (s.linux!.maskedPaths = ['/sys/firmware']));
    expect(r.runc.code).toBe(1);
    expect(r.runc.stderr).toMatch(RUNC_NO_PROC);
    expect(r.keel.code).toBe(1);
    expect(r.keel.stderr).toBe('keel: mask "/sys/firmware": keel reaches the path through /proc/self/fd, and the container has no /proc: add a proc mount at /proc: no such file or directory\n');
  });

  it('nothing that needs /proc: keel runs it (runc still fails)', () => {
    const r = runBoth('noproc-plain', () => {});
    expect(r.runc.code).toBe(1);
    expect([r.keel.stdout, r.keel.code, r.keel.stderr]).toEqual(['rw\n', 0, '']);
  });
});
