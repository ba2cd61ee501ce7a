/**
 * Typed bindings to native/lib/libkeel.so, the only module that loads ffi-rs. Verbs that neither
 * start nor join a container never import it, so they do not pay for loading a native addon.
 * Every native function returns >= 0 on success and -errno on failure; `check` turns the latter
 * into an exception that carries the errno.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errnoName, strerror } from '../util/errno.js';

/*
 * ffi-rs's own index.js spends ~5 ms probing for musl (process.report.getReport()) before it loads
 * this same platform package, so keel loads the binding directly (keel is built for glibc x86-64)
 * and makes the two adjustments index.js makes to each call: array parameters carry their length,
 * and results are not freed by ffi-rs. It is required here, not imported statically: the bundler
 * would hoist a static import to the top of keel.mjs, and every verb would pay for loading it.
 */
const binding = createRequire(join(moduleDir(), 'keel'))('@yuuang/ffi-rs-linux-x64-gnu') as typeof import('ffi-rs');
// (FFITypeTag.Array exists at run time; the package's typings leave it out.)
const { DataType, FFITypeTag, open } = binding as typeof binding & { FFITypeTag: { Array: number } };

function load(params: { paramsType: unknown[]; paramsValue: unknown[]; [key: string]: unknown }): unknown {
  const paramsType = params.paramsType.map((type, i) =>
    type === DataType.I32Array ? { ffiTypeTag: FFITypeTag.Array, type, length: (params.paramsValue[i] as unknown[]).length } : type,
  );
  return binding.load({ freeResultMemory: false, ...params, paramsType } as never);
}
const LIBRARY = 'libkeel';

/** Native artifacts sit beside the bundled keel.cjs and keel.mjs (dist/, or the installed copy). */
export function nativeDir(): string {
  return process.env.KEEL_NATIVE_DIR ?? moduleDir();
}

/**
 * The directory of the bundle this code runs from: the CommonJS entry (keel.cjs, which has no
 * import.meta) or an ES module chunk (which has no __dirname).
 */
function moduleDir(): string {
  return typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
}

open({ library: LIBRARY, path: join(nativeDir(), 'libkeel.so') });

export class NativeError extends Error {
  constructor(
    readonly call: string,
    readonly errno: number,
  ) {
    super(`${call}: ${strerror(errno)}`);
    this.name = 'NativeError';
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

function check(call: string, result: number): number {
  if (result < 0) throw new NativeError(call, -result);
  return result;
}

type ParamType = (typeof DataType)[keyof typeof DataType];

function call(funcName: string, retType: ParamType, paramsType: ParamType[], paramsValue: unknown[]): number {
  return load({ library: LIBRARY, funcName, retType, paramsType, paramsValue }) as number;
}

export function sealedCopy(path: string): number {
  return check(`copy ${path} to a sealed memfd`, call('keel_sealed_copy', DataType.I32, [DataType.String], [path]));
}

/** Starts exeFd with `fds[i]` as fd `base + i` and argv[1] = String(base): the sync socket. */
export function spawnInit(exeFd: number, fds: number[], base: number): number {
  const result = call(
    'keel_spawn',
    DataType.I32,
    [DataType.I32, DataType.String, DataType.I32Array, DataType.I32, DataType.I32],
    [exeFd, String(base), fds, fds.length, base],
  );
  return check('start keel-init', result);
}

export function seqpacketPair(): [number, number] {
  const packed = BigInt(call('keel_seqpacket_pair', DataType.BigInt, [], []) as unknown as bigint);
  if (packed < 0n) throw new NativeError('socketpair', Number(-packed));
  return [Number(packed >> 32n), Number(packed & 0xffffffffn)];
}

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;

export function flock(fd: number, op: number): void {
  check('flock', call('keel_flock', DataType.I32, [DataType.I32, DataType.I32], [fd, op]));
}

export function mkfifo(path: string, mode: number): void {
  check(`mkfifo ${path}`, call('keel_mkfifo', DataType.I32, [DataType.String, DataType.I32], [path, mode]));
}

/** A connected AF_UNIX stream socket (the engine's --console-socket), close-on-exec. */
export function connectUnix(path: string): number {
  return check(`connect to ${path}`, call('keel_connect_unix', DataType.I32, [DataType.String], [path]));
}

/** Raw wait status of a child, or undefined while it still runs. */
export function tryWait(pid: number): number | undefined {
  const r = call('keel_try_wait', DataType.I32, [DataType.I32], [pid]);
  if (r === -11 /* EAGAIN */) return undefined;
  return check(`wait for ${pid}`, r);
}

/** Waits for a child on another thread, so that keel can forward signals meanwhile. */
export async function waitAsync(pid: number): Promise<number> {
  const r = (await load({
    library: LIBRARY,
    funcName: 'keel_wait',
    retType: DataType.I32,
    paramsType: [DataType.I32],
    paramsValue: [pid],
    runInNewThread: true,
  })) as number;
  return check(`wait for ${pid}`, r);
}

export function waitSync(pid: number): number {
  return check(`wait for ${pid}`, call('keel_wait', DataType.I32, [DataType.I32], [pid]));
}
