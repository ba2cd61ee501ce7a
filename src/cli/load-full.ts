/**
 * Runs dist/keel-full.cjs (everything but the light verbs) with V8's code cache made at build time
 * (src/build/code-cache.mjs): compiling that ~500 KB bundle from source costs several ms of every
 * `create` and `run`; with the cache V8 skips parsing it, and, because the cache is made after the
 * bundle has run spec, validate and explain, also skips compiling the functions those call (schema
 * validators, plan compiler, command line parsing), which V8 would otherwise compile at first call.
 *
 * The bundle is compiled as a vm.Script of the CommonJS wrapper (FULL_WRAPPER), not with
 * vm.compileFunction: only a Script can make its cache after it has run (createCachedData), and
 * V8 accepts a cache only for the very source it was made from, so both sides use this wrapper.
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
export const FULL_WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n})'] as const;

/** The bundle as a Script, with its code cache if there is a usable one (cachedDataRejected tells whether V8 took it). */
function fullScript(file: string, source: string, cacheFile: string): Script {
  // Required here, not imported: the light verbs, which share this file's bundle, never need node:vm.
  const { Script } = require('node:vm') as typeof import('node:vm');
  return new Script(FULL_WRAPPER[0] + source + FULL_WRAPPER[1], { filename: file, cachedData: cacheFor(source, cacheFile) });
}

export function runFull(file: string, cacheFile: string): void {
  const source = readFileSync(file, 'utf8');
  const fn = fullScript(file, source, cacheFile).runInThisContext() as (...args: unknown[]) => void;
  const mod = new Module(file);
  mod.filename = file;
  fn.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
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
