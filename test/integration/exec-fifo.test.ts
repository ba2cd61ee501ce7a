/**
 * The exec fifo in the container's state directory, keel beside runc 1.1.5 under the umasks an
 * engine may run with. runc makes it 0622 whatever the umask: its init (perhaps a user
 * namespace's root) opens it by path to write, and `runc start` reads. keel's direction is the
 * reverse (`keel start` writes the byte that lets the init exec), so whoever may write to it may
 * start the container: keel makes it 0600 whatever the umask (docs/differences-from-runc.md).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KeelRoot, requireRootAndBuild, runToCompletion } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

let keel: KeelRoot;
let runc: RuncRoot;
let bundle: Bundle;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  runc = new RuncRoot();
  // As keel's and runc's default roots (/run/keel, /run/runc): other users may pass through.
  for (const rt of [keel, runc]) chmodSync(rt.root, 0o711);
  bundle = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
});
afterAll(() => {
  keel?.cleanup();
  runc?.cleanup();
  bundle?.remove();
});

/** `create` under `umask`; returns the fifo's path. */
function createUnder(rt: KeelRoot, umask: string, id: string): string {
  const r = runToCompletion('/bin/sh', ['-c', `umask ${umask}; exec "$0" "$@"`, rt.binary, '--root', rt.root, 'create', '--bundle', bundle.dir, id], rt.root);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return join(rt.root, id, 'exec.fifo');
}

const modeOf = (path: string) => (statSync(path).mode & 0o7777).toString(8);

describe('the exec fifo, side by side with runc', () => {
  it.each(['0', '077', '0277'])('is 0600 under umask %s (runc: 0622 whatever the umask)', (umask) => {
    const id = `fifo-${umask}-${process.pid}`;
    const modes = { keel: modeOf(createUnder(keel, umask, id)), runc: modeOf(createUnder(runc, umask, id)) };
    expect(modes).toEqual({ keel: '600', runc: '622' });
    // keel start still opens it, even where the umask took the owner's write bit.
    keel.ok(['start', id]);
    expect(JSON.parse(keel.ok(['state', id])).status).toBe('running');
    for (const rt of [keel, runc]) rt.ok(['delete', '--force', id]);
  });

  it('under umask 0, another user cannot write the byte that starts the container', () => {
    const id = `fifo-nobody-${process.pid}`;
    const fifo = createUnder(keel, '0', id);
    const pid = JSON.parse(keel.ok(['state', id])).pid as number;
    const asNobody = (script: string) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'sh', '-c', script, 'sh', fifo], { encoding: 'utf8' });
    expect(asNobody('test -p "$1"').status).toBe(0); // it reaches the fifo...
    const write = asNobody('echo 0 > "$1"');
    expect(write.stderr).toMatch(/Permission denied/); // ...but may not write to it
    spawnSync('sleep', ['0.3']);
    expect(readFileSync(`/proc/${pid}/comm`, 'utf8').trim()).not.toBe('sleep');
    expect(JSON.parse(keel.ok(['state', id])).status).toBe('created');
    keel.ok(['delete', '--force', id]);
  });
});
