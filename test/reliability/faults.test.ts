/**
 * Faults: `keel create` SIGKILLed at each of its steps (KEEL_TEST_STOP_AT stops it there). After
 * that, whatever keel had started must die on its own, `list` shows the container as stopped (or
 * not at all), `delete --force` succeeds, and the host is exactly as before: mounts, cgroups,
 * processes and the state root. The id is then free for a new container.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CREATE_STEPS, type CreateStep } from '../../src/util/test-stop-point.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { diffSnapshots, snapshotHost } from './host-snapshot.js';
import { startKeel, untilStopped } from './keel-process.js';

let keel: KeelRoot;
let plain: Bundle;
let userns: Bundle;
const ID_TAG = `rel${process.pid}f-`;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  plain = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
  userns = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
    s.linux!.namespaces!.push({ type: 'user' });
    s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
    s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
  });
  // The mapped root (host uid 200000) must be able to reach its rootfs through the bundle.
  chmodSync(userns.dir, 0o755);
});
afterAll(() => {
  keel?.cleanup();
  plain?.remove();
  userns?.remove();
});

const tags = () => [plain.dir, userns.dir, keel.root, ID_TAG, basename(plain.dir), basename(userns.dir)];

interface Listed {
  id: string;
  status: string;
}

async function killCreateAt(step: CreateStep, bundle: Bundle): Promise<void> {
  const id = `${ID_TAG}${step}`;
  const before = snapshotHost(tags(), keel.root);
  const k = startKeel(keel.root, ['create', '--bundle', bundle.dir, '--pid-file', join(bundle.dir, `${id}.pid`), id], {
    env: { KEEL_TEST_STOP_AT: step },
    cwd: bundle.dir,
    scratch: bundle.dir,
  });
  const stopped = await untilStopped(k);
  if (!stopped) throw new Error(`keel create never reached step "${step}": ${(await k.done).stderr}`);
  k.child.kill('SIGKILL');
  expect((await k.done).signal).toBe('SIGKILL');

  // Whatever keel started dies with it: nothing tagged runs once keel is gone, before any delete.
  const orphans = () => snapshotHost(tags(), keel.root).processes;
  expect(await eventually(() => orphans().length === 0, 5000), `processes left running after keel died: ${orphans().join('; ')}`).toBe(true);

  const listed = (JSON.parse(keel.ok(['list', '--format', 'json'])) ?? []) as Listed[];
  expect(listed.filter((c) => c.id === id).map((c) => c.status)).toEqual(step === 'claiming' ? [] : ['stopped']);

  expect(keel.run(['delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
  expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);

  // The id is free again, and a container made under it works.
  keel.ok(['create', '--bundle', bundle.dir, id]);
  const { pid } = JSON.parse(keel.ok(['state', id])) as { pid: number };
  expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/State:\s+S/);
  keel.ok(['delete', '--force', id]);
  expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
}

describe('keel create killed at each step', () => {
  for (const step of CREATE_STEPS.filter((s) => s !== 'sync-id-maps')) {
    it(`leaves nothing behind when killed at "${step}"`, () => killCreateAt(step, plain), 30_000);
  }
  it('leaves nothing behind when killed at "sync-id-maps" (user namespace)', () => killCreateAt('sync-id-maps', userns), 30_000);
  it('leaves nothing behind when killed at "ready" with a user namespace', () => killCreateAt('ready', userns), 30_000);
});

describe('a container whose process dies on its own', () => {
  it('is stopped, and deleted without --force', async () => {
    const id = `${ID_TAG}dies`;
    const before = snapshotHost(tags(), keel.root);
    keel.ok(['create', '--bundle', plain.dir, id]);
    const { pid } = JSON.parse(keel.ok(['state', id])) as { pid: number };
    process.kill(pid, 'SIGKILL');
    expect(await eventually(() => (JSON.parse(keel.ok(['state', id])) as Listed).status === 'stopped')).toBe(true);
    expect(keel.run(['start', id])).toMatchObject({ code: 1, stderr: `keel: cannot start container "${id}": it has stopped\n` });
    expect(keel.run(['delete', id])).toMatchObject({ code: 0, stderr: '' });
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  });
});

describe('a delete killed half-way', () => {
  // delete kills, removes the cgroups, then store.remove() drops state.json first; a keel killed
  // right after that leaves the directory alone.
  const leaveHalfDeleted = (id: string) => {
    keel.ok(['create', '--bundle', plain.dir, id]);
    keel.ok(['kill', id, 'KILL']);
    const record = JSON.parse(readFileSync(join(keel.root, id, 'state.json'), 'utf8')) as { pid: number; cgroupPaths?: string[] };
    for (let i = 0; i < 200 && existsSync(`/proc/${record.pid}/stat`) && !readFileSync(`/proc/${record.pid}/stat`, 'utf8').includes(') Z'); i++) execFileSync('sleep', ['0.01']);
    for (const dir of [...(record.cgroupPaths ?? [])].reverse()) rmdirSync(dir);
    rmSync(join(keel.root, id, 'state.json'));
  };

  it('leaves an id that a new create takes over', () => {
    const id = `${ID_TAG}halfdel`;
    const before = snapshotHost(tags(), keel.root);
    leaveHalfDeleted(id);
    expect(keel.ok(['list', '-q'])).not.toContain(id);
    keel.ok(['create', '--bundle', plain.dir, id]);
    expect((JSON.parse(keel.ok(['state', id])) as Listed).status).toBe('created');
    keel.ok(['delete', '--force', id]);
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  });

  it('is finished by delete, with or without --force', () => {
    const before = snapshotHost(tags(), keel.root);
    for (const args of [['delete'], ['delete', '--force']]) {
      const id = `${ID_TAG}halfdel-${args.length}`;
      leaveHalfDeleted(id);
      expect(keel.run([...args, id])).toMatchObject({ code: 0, stderr: '' });
    }
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  });
});
