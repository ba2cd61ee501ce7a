/**
 * Hostile input: seeded mutations of a valid config.json, run for a bounded time
 * (KEEL_FUZZ_SECONDS, default 30; KEEL_FUZZ_SEED, default 1, or "random"). Every case must either
 * work or fail with keel's one-line error, touch nothing on the host outside its bundle, and leave
 * nothing behind. A failing case is saved under test/reliability/cases/ (found-<seed>-<n>.json),
 * and every saved case is replayed first, so a bug once found stays found.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { generateCase, type FuzzCase } from './fuzz/mutate.js';
import { Random } from './fuzz/random.js';
import { Canary, runCase } from './fuzz/run-case.js';

const CASES_DIR = new URL('./cases', import.meta.url).pathname;
const SECONDS = Number(process.env.KEEL_FUZZ_SECONDS ?? 30);
const SEED = process.env.KEEL_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.KEEL_FUZZ_SEED ?? 1);
const ID_TAG = `rel${process.pid}z-`;

let keel: KeelRoot;
let canary: Canary;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  canary = new Canary();
});
afterAll(() => {
  keel?.cleanup();
  canary?.remove();
});

const saved = readdirSync(CASES_DIR).filter((f) => f.endsWith('.json')).sort();

describe('saved hostile configs', () => {
  saved.forEach((file, i) => {
    it(file, async () => {
      const c = JSON.parse(readFileSync(join(CASES_DIR, file), 'utf8')) as FuzzCase;
      expect(await runCase(c, { keel, canary, idTag: ID_TAG }, 10_000 + i)).toEqual([]);
    }, 60_000);
  });
});

describe('fuzzed hostile configs', () => {
  it(`seed ${SEED}, for ${SECONDS} s`, async () => {
    const rng = new Random(SEED);
    const deadline = Date.now() + SECONDS * 1000;
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    let n = 0;
    for (; Date.now() < deadline; n++) {
      const c = generateCase(rng);
      const problems = await runCase(c, { keel, canary, idTag: ID_TAG, outcomes }, n);
      if (!problems.length) continue;
      const file = join(CASES_DIR, `found-${SEED}-${n}.json`);
      writeFileSync(file, JSON.stringify({ ...c, found: problems.join('; ').slice(0, 500) }, null, 2) + '\n');
      failures.push(`case ${n} (${c.mutations.join(', ')}): ${problems.join('; ')} -> saved as ${file}`);
    }
    console.log(`fuzz: seed ${SEED}, ${n} cases in ${SECONDS} s, ${failures.length} failed; outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    expect(failures).toEqual([]);
  }, (SECONDS + 120) * 1000);
});
