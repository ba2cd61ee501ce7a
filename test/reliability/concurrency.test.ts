/**
 * Concurrency: many keel processes at once, as engines that retry and race produce them. Distinct
 * ids never disturb one another; on one id, the state lock lets exactly one of a racing group win
 * and the others fail with one line; state.json is never seen torn.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { diffSnapshots, snapshotHost } from './host-snapshot.js';
import { startKeel, type Finished } from './keel-process.js';

let keel: KeelRoot;
let bundle: Bundle;
const ID_TAG = `rel${process.pid}c-`;
const tags = () => [bundle.dir, keel.root, ID_TAG, basename(bundle.dir)];

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  bundle = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
});
afterAll(() => {
  keel?.cleanup();
  bundle?.remove();
});

const keelAsync = (args: string[]): Promise<Finished> => startKeel(keel.root, args, { scratch: bundle.dir }).done;
const times = <T>(n: number, f: (i: number) => Promise<T>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)));

/** Reads state.json as fast as it can while `during` runs; counts reads that were not valid JSON. */
async function tornReadsWhile(id: string, during: Promise<unknown>): Promise<{ reads: number; torn: string[] }> {
  const file = join(keel.root, id, 'state.json');
  let finished = false;
  void during.finally(() => (finished = true));
  const result = { reads: 0, torn: [] as string[] };
  while (!finished) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // Not there (yet, or any more): not torn.
    }
    if (text !== undefined) {
      result.reads++;
      try {
        JSON.parse(text);
      } catch {
        result.torn.push(text.slice(0, 80));
      }
    }
    await new Promise((r) => setImmediate(r));
  }
  await during;
  return result;
}

function startContainer(id: string): void {
  keel.ok(['create', '--bundle', bundle.dir, id]);
  keel.ok(['start', id]);
}

const status = (id: string) => (JSON.parse(keel.ok(['state', id])) as { status: string; pid: number });

function expectOneWinner(results: Finished[], loserLine: string): void {
  const winners = results.filter((r) => r.code === 0);
  const losers = results.filter((r) => r.code !== 0);
  expect(winners.length).toBe(1);
  expect(winners[0]!.stderr).toBe('');
  expect(new Set(losers.map((r) => `${r.code} ${r.stderr}`))).toEqual(new Set([`1 ${loserLine}\n`]));
}

describe('distinct ids in parallel', () => {
  it('50 create/start/delete cycles at once all succeed and leave nothing behind', async () => {
    const before = snapshotHost(tags(), keel.root);
    const failures: string[] = [];
    await times(50, async (i) => {
      const id = `${ID_TAG}many-${i}`;
      for (const args of [['create', '--bundle', bundle.dir, id], ['start', id], ['delete', '--force', id]]) {
        const r = await keelAsync(args);
        if (r.code !== 0 || r.stderr !== '') failures.push(`${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
      }
    });
    expect(failures).toEqual([]);
    expect(keel.containers()).toEqual([]);
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  }, 180_000);
});

describe('one id, many keels', () => {
  it('20 creates: one wins, the others say it exists, state.json is never torn', async () => {
    const id = `${ID_TAG}create`;
    const racing = times(20, () => keelAsync(['create', '--bundle', bundle.dir, id]));
    const { reads, torn } = await tornReadsWhile(id, racing);
    expectOneWinner(await racing, `keel: container "${id}" already exists`);
    expect(torn).toEqual([]);
    expect(reads).toBeGreaterThan(0);
    expect(status(id).status).toBe('created');
    keel.ok(['delete', '--force', id]);
  }, 120_000);

  it('20 starts: one wins, the others say it is running', async () => {
    const id = `${ID_TAG}start`;
    keel.ok(['create', '--bundle', bundle.dir, id]);
    expectOneWinner(await times(20, () => keelAsync(['start', id])), `keel: cannot start container "${id}": it is already running`);
    expect(status(id).status).toBe('running');
    keel.ok(['delete', '--force', id]);
  }, 120_000);

  it('20 deletes of a stopped container: one wins, the others say it does not exist', async () => {
    const id = `${ID_TAG}delete`;
    const before = snapshotHost(tags(), keel.root);
    startContainer(id);
    keel.ok(['kill', id, 'KILL']);
    expect(await eventually(() => status(id).status === 'stopped')).toBe(true);
    expectOneWinner(await times(20, () => keelAsync(['delete', id])), `keel: container "${id}" does not exist`);
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  }, 120_000);

  it('20 forced deletes of a running container all succeed (as runc) and leave nothing behind', async () => {
    const id = `${ID_TAG}fdelete`;
    const before = snapshotHost(tags(), keel.root);
    startContainer(id);
    const results = await times(20, () => keelAsync(['delete', '--force', id]));
    expect(results.map((r) => `${r.code} ${r.stderr}`)).toEqual(Array(20).fill('0 '));
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  }, 120_000);

  it('20 kills: each succeeds or says the container is not running, and it ends stopped', async () => {
    const id = `${ID_TAG}kill`;
    startContainer(id);
    const results = await times(20, () => keelAsync(['kill', id, 'KILL']));
    expect(results.filter((r) => r.code === 0).length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect([`0 `, `1 keel: cannot kill container "${id}": container not running\n`]).toContain(`${r.code} ${r.stderr}`);
    expect(await eventually(() => status(id).status === 'stopped')).toBe(true);
    keel.ok(['delete', id]);
  }, 120_000);

  it('create racing forced deletes of the same id ends consistent: a whole container, or none', async () => {
    const id = `${ID_TAG}half`;
    const before = snapshotHost(tags(), keel.root);
    const create = keelAsync(['create', '--bundle', bundle.dir, id]);
    const deletes = times(10, (i) => new Promise((r) => setTimeout(r, i * 15)).then(() => keelAsync(['delete', '--force', id])));
    const [created, deleted] = await Promise.all([create, deletes]);
    expect(`${created.code} ${created.stderr}`).toBe('0 ');
    expect(deleted.map((r) => `${r.code} ${r.stderr}`)).toEqual(Array(10).fill('0 '));
    if (existsSync(join(keel.root, id))) {
      const { status: s, pid } = status(id);
      expect(s).toBe('created');
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      keel.ok(['delete', '--force', id]);
    }
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  }, 120_000);

  it('start racing a forced delete: the container ends gone, start succeeds or says it does not exist', async () => {
    const id = `${ID_TAG}startdel`;
    const before = snapshotHost(tags(), keel.root);
    keel.ok(['create', '--bundle', bundle.dir, id]);
    const [started, deleted] = await Promise.all([keelAsync(['start', id]), keelAsync(['delete', '--force', id])]);
    expect(`${deleted.code} ${deleted.stderr}`).toBe('0 ');
    expect(['0 ', `1 keel: container "${id}" does not exist\n`]).toContain(`${started.code} ${started.stderr}`);
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
  }, 60_000);
});
