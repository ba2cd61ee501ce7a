/** The code caches of keel's bundles are used only when made from that very build, and V8 takes them. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { BUNDLE_WRAPPER, cacheFor } from '../../../src/cli/code-bundle.js';

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

  for (const name of ['keel-spawn', 'keel-full']) {
    it(`${name}.cache is accepted by V8 in the node, with the flags, that keel.cjs names on its #! line`, () => {
      const bundle = join(DIST, `${name}.cjs`);
      if (!existsSync(bundle)) throw new Error(`${bundle} is missing: run "make" first`);
      const data = cacheFor(readFileSync(bundle, 'utf8'), join(DIST, `${name}.cache`));
      expect(data).toBeDefined();
      writeFileSync(join(dir, 'data'), data!);
      // V8 rejects a cache made under other flags, so the check runs as keel itself would.
      const [node, ...flags] = readFileSync(join(DIST, 'keel.cjs'), 'utf8').split('\n')[0]!.slice(2).split(' ');
      const check = `const { Script } = require('node:vm'); const { readFileSync } = require('node:fs');
        const [wrapper, file, data] = [JSON.parse(process.argv[1]), process.argv[2], process.argv[3]];
        const script = new Script(wrapper[0] + readFileSync(file, 'utf8') + wrapper[1], { filename: file, cachedData: readFileSync(data) });
        process.stdout.write(String(script.cachedDataRejected));`;
      const rejected = execFileSync(node!, [...flags, '-e', check, JSON.stringify(BUNDLE_WRAPPER), bundle, join(dir, 'data')], { encoding: 'utf8' });
      expect(rejected).toBe('false');
    });

    it(`${name}.cache holds every function, not just the top-level code`, () => {
      // A cache of the top-level code alone is a fifth of the bundle's size; compiled eagerly it is larger than the bundle.
      expect(readFileSync(join(DIST, `${name}.cache`)).length).toBeGreaterThan(statSync(join(DIST, `${name}.cjs`)).size);
    });
  }
});
