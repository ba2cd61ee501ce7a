// Writes the V8 code cache of dist/keel-full.cjs (see src/cli/load-full.ts): the bundle's first
// line (its build id), then the data V8 produced compiling it exactly as load-full.ts does.
//   node src/build/code-cache.mjs dist/keel-full.cjs dist/keel-full.cache
import { readFileSync, writeFileSync } from 'node:fs';
import { compileFunction } from 'node:vm';

const [file, out] = process.argv.slice(2);
const source = readFileSync(file, 'utf8');
const idLine = source.slice(0, source.indexOf('\n') + 1);
if (!idLine.startsWith('// keel build ')) throw new Error(`${file} does not start with a build id line`);
// The same parameters as CODE_CACHE_PARAMS in src/cli/load-full.ts: the cache is for that function.
const fn = compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file, produceCachedData: true });
if (!fn.cachedData) throw new Error('V8 produced no code cache');
writeFileSync(out, Buffer.concat([Buffer.from(idLine, 'latin1'), fn.cachedData]));
