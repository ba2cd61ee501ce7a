/**
 * Runs dist/keel-full.cjs (everything but the light verbs) with V8's code cache made at build time
 * (src/build/code-cache.mjs): compiling that ~670 KB bundle from source costs several ms of every
 * `create` and `run`; with the cache V8 skips parsing it.
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
import { compileFunction } from 'node:vm';

export const CODE_CACHE_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname'];

export function runFull(file: string, cacheFile: string): void {
  const source = readFileSync(file, 'utf8');
  const fn = compileFunction(source, CODE_CACHE_PARAMS, { filename: file, cachedData: cacheFor(source, cacheFile) });
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
