/** The code cache of dist/keel-full.cjs is used only when it was made from that very build. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFunction } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';

import { CODE_CACHE_PARAMS, cacheFor } from '../../../src/cli/load-full.js';

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
    const cachedData = cacheFor(source, join(DIST, 'keel-full.cache'));
    expect(cachedData).toBeDefined();
    const fn = compileFunction(source, CODE_CACHE_PARAMS, { filename: bundle, cachedData });
    expect(fn.cachedDataRejected).toBe(false);
  });
});
