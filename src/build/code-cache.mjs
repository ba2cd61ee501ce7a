// Writes the V8 code cache of dist/keel-full.cjs (see src/cli/load-full.ts): the bundle's first
// line (its build id), then the data V8 produced for it, compiled exactly as load-full.ts does.
//   node src/build/code-cache.mjs dist/keel-full.cjs dist/keel-full.cache >/dev/null
//
// A cache made right after compiling holds only the bundle's top-level code: V8 compiles functions
// lazily, at their first call, so every start would still parse and compile the schema validators,
// the plan compiler and the command line parser. So the bundle first runs here a few command lines
// that need no root and change nothing on the host (list of an empty state directory, then spec,
// validate and explain of a bundle in a temporary directory: the same fast path, loading,
// validation and plan compilation `create` goes through),
// and the cache is made afterwards, when it includes every function those runs compiled.
// Their output goes to stdout (the Makefile sends it to /dev/null). A run that fails (a host without
// cgroups, say) only makes the cache less complete: it is reported, and the build goes on.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import v8 from 'node:v8';
import { Script } from 'node:vm';

const [fileArg, out] = process.argv.slice(2);
const file = resolve(fileArg);
const source = readFileSync(file, 'utf8');
const idLine = source.slice(0, source.indexOf('\n') + 1);
if (!idLine.startsWith('// keel build ')) throw new Error(`${file} does not start with a build id line`);

// The same wrapper as FULL_WRAPPER in src/cli/load-full.ts: the cache is for that very source.
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n})'];
// Compiled eagerly: the workload below cannot reach what only root can run (cgroups, the state
// store's writes, the init session, create itself), and those functions are the rest of a `run`.
// (--lazy is set again before anything runs: V8 takes a cache only under the flags it was made with.)
v8.setFlagsFromString('--no-lazy');
const script = new Script(WRAPPER[0] + source + WRAPPER[1], { filename: file });
v8.setFlagsFromString('--lazy');
const fn = script.runInThisContext();

const dir = mkdtempSync(join(tmpdir(), 'keel-code-cache-'));
mkdirSync(join(dir, 'bundle', 'rootfs'), { recursive: true });
const keel = ['--root', join(dir, 'state')];
const bundle = ['--bundle', join(dir, 'bundle')];
const workload = [
  ['list'], // through the fast path create and run take too (parseFast, the logger, the state store)
  ['spec', ...bundle],
  ['validate', ...bundle],
  ['explain', ...bundle],
  ['explain', '--format', 'json', ...bundle],
];

// Each command line runs once the previous one has finished (the event loop is empty again).
let failed = 0;
const done = [];
process.on('beforeExit', function next() {
  if (process.exitCode) {
    failed++;
    process.stderr.write(`code-cache: keel ${done.at(-1)?.join(' ')} failed: the cache will not include all it runs\n`);
  }
  process.exitCode = 0;
  const args = workload.shift();
  if (args) {
    done.push(args);
    process.argv = [process.execPath, join(dirname(file), 'keel.cjs'), ...keel, ...args];
    const mod = new Module(file);
    mod.filename = file;
    fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
    // The run may be promises only, which keep no loop alive: this makes the loop turn once more,
    // after them, and end (emitting beforeExit again) when all the run started is over.
    setImmediate(() => {});
    return;
  }
  process.off('beforeExit', next);
  rmSync(dir, { recursive: true, force: true });
  const data = script.createCachedData();
  if (!data.length) throw new Error('V8 produced no code cache');
  writeFileSync(out, Buffer.concat([Buffer.from(idLine, 'latin1'), data]));
  process.stderr.write(`code-cache: ${out}: ${data.length} bytes after ${done.length - failed}/${done.length} command lines\n`);
});
