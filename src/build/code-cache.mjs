// Writes the V8 code cache of one of keel's bundles (see src/cli/code-bundle.ts): the bundle's
// first line (its build id), then the data V8 produced compiling it exactly as code-bundle.ts does.
//   node src/build/code-cache.mjs dist/keel-spawn.cjs dist/keel-spawn.cache
//
// V8 compiles a function only at its first call, and a cache made right after compiling would hold
// the top-level code alone: every start would still compile the validators, the plan compiler,
// the cgroup code... So the bundle is compiled eagerly here (--no-lazy), and the cache holds every
// function. --lazy is set again at once: V8 takes a cache only under the flags it was made with.
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { Script } from 'node:vm';

const [file, out] = process.argv.slice(2);
const source = readFileSync(file, 'utf8');
const idLine = source.slice(0, source.indexOf('\n') + 1);
if (!idLine.startsWith('// keel build ')) throw new Error(`${file} does not start with a build id line`);

// The same wrapper as BUNDLE_WRAPPER in src/cli/code-bundle.ts: the cache is for that very source.
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n})'];
v8.setFlagsFromString('--no-lazy');
const script = new Script(WRAPPER[0] + source + WRAPPER[1], { filename: file });
v8.setFlagsFromString('--lazy');
const data = script.createCachedData();
if (!data.length) throw new Error('V8 produced no code cache');
writeFileSync(out, Buffer.concat([Buffer.from(idLine, 'latin1'), data]));
