/** The code cache of dist/keel-full.cjs is used only when it was made from that very build. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { cacheFor, fullScript } from '../../../src/cli/load-full.js';

const dir = mkdtempSync(join(tmpdir(), `keel-cache-${process.pid}-`));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const DIST = join(new URL('../../..', import.meta.url).pathname, 'dist');

describe('cacheFor', () => {
  const source = '// keel build 0123456789abcdef\n"use strict";\n';
  const file = join(dir, 'cache');

  it('gives the V8 data after the id line when the ids match', () => {
    writeFileSync(file, Buffer.concat([Buffer.from('// keel build 0123456789abcdef\n'), Buffer.from([1, 2, 3])]));
    expect([...(cacheFor(source, file) ?? [])]).toEqual([1, 2, 3]);
  });

  it('gives nothing for a cache of another build, a missing cache, or a bundle without an id', () => {
    writeFileSync(file, Buffer.concat([Buffer.from('// keel build fedcba9876543210\n'), Buffer.from([1, 2, 3])]));
    expect(cacheFor(source, file)).toBeUndefined();
    expect(cacheFor(source, join(dir, 'missing'))).toBeUndefined();
    expect(cacheFor('"use strict";\n', file)).toBeUndefined();
    writeFileSync(file, '// keel build 0123456789abcdef\n');
    expect(cacheFor(source, file)).toBeUndefined();
  });

  it('is accepted by V8 for the bundle the build made', () => {
    const bundle = join(DIST, 'keel-full.cjs');
    if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "make" first`);
    const source = readFileSync(bundle, 'utf8');
    const cache = join(DIST, 'keel-full.cache');
    expect(cacheFor(source, cache)).toBeDefined();
    expect(fullScript(bundle, source, cache).cachedDataRejected).toBe(false);
  });

  it('was made after the bundle ran, so it holds more than its top-level code', () => {
    // A cache of the top-level code alone was ~90 KB; with the functions spec, validate and
    // explain compile it is several times that.
    expect(readFileSync(join(DIST, 'keel-full.cache')).length).toBeGreaterThan(200_000);
  });
});
