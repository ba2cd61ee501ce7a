/**
 * Runs one of keel's larger bundles (dist/keel-spawn.cjs, dist/keel-full.cjs) with the V8 code
 * cache the build made for it (src/build/code-cache.mjs). Compiling a few hundred KB of JavaScript
 * from source, then each function again at its first call, costs several ms of every `create`,
 * `run` and `exec`; with the cache V8 skips both.
 *
 * The bundle is compiled as a vm.Script of the CommonJS wrapper (BUNDLE_WRAPPER): V8 accepts a
 * cache only for the very source it was made from, so the build compiles the same text.
 *
 * The cache is used only when it was made from this very build: the bundle's first line and the
 * cache's first line carry the same random build id, written by the Makefile at each build (V8
 * itself only checks the source's length, its own version and its flags, and rejects the cache,
 * falling back to a plain compile, when those differ). Without a usable cache, the bundle is
 * compiled from source as `require` would.
 */
import { readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { Script } from 'node:vm';

/** The CommonJS wrapper, on the bundle's first line so that line numbers stay the file's. The same in src/build/code-cache.mjs. */
export const BUNDLE_WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n})'] as const;

/**
 * Runs the bundle `file` as `require` would and returns its exports; its cache is the file beside
 * it named .cache instead of .cjs.
 */
export function requireBundle(file: string): unknown {
  const source = readFileSync(file, 'utf8');
  const fn = bundleScript(file, source, file.replace(/\.cjs$/, '.cache')).runInThisContext() as (...args: unknown[]) => void;
  const mod = new Module(file);
  mod.filename = file;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
  return mod.exports;
}

/** The bundle as a Script, with its code cache if there is a usable one (cachedDataRejected tells whether V8 took it). */
function bundleScript(file: string, source: string, cacheFile: string): Script {
  // Required here, not imported: the light verbs, which share this file's bundle, never need node:vm.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Script } = require('node:vm') as typeof import('node:vm');
  return new Script(BUNDLE_WRAPPER[0] + source + BUNDLE_WRAPPER[1], { filename: file, cachedData: cacheFor(source, cacheFile) });
}

/** The cache's V8 data when its build id line is the bundle's first line; otherwise none. */
export function cacheFor(source: string, cacheFile: string): Buffer | undefined {
  let cache: Buffer;
  try {
    cache = readFileSync(cacheFile);
  } catch {
    return undefined;
  }
  const idLine = source.slice(0, source.indexOf('\n') + 1);
  if (!idLine.startsWith('// keel build ') || cache.length <= idLine.length) return undefined;
  return cache.subarray(0, idLine.length).toString('latin1') === idLine ? cache.subarray(idLine.length) : undefined;
}
