/**
 * Typed bindings to native/lib/libkeel.so, the only module that loads ffi-rs. Verbs that neither
 * start nor join a container never import it, so they do not pay for loading a native addon.
 * Every native function returns >= 0 on success and -errno on failure; `check` turns the latter
 * into an exception that carries the errno. test/unit/native-contract.test.ts compares each call's
 * name and types with the function libkeel.c exports.
 */
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { errnoName, strerror } from '../util/errno.js';

/*
 * ffi-rs's own index.js spends ~5 ms probing for musl (process.report.getReport()) before it loads
 * this same platform package, so keel loads the binding directly (keel is built for glibc x86-64)
 * and makes the two adjustments index.js makes to each call: array parameters carry their length,
 * and results are not freed by ffi-rs. It is required here, not imported statically: the bundler
 * would hoist a static import to the top of the bundle, and every verb would pay for loading it.
 */
const binding = createRequire(join(moduleDir(), 'keel'))('@yuuang/ffi-rs-linux-x64-gnu') as typeof import('ffi-rs');
// (FFITypeTag.Array exists at run time; the package's typings leave it out.)
const { DataType, FFITypeTag, open } = binding as typeof binding & { FFITypeTag: { Array: number } };

function load(params: { paramsType: unknown[]; paramsValue: unknown[]; [key: string]: unknown }): unknown {
  const paramsType = params.paramsType.map((type, i) =>
    type === DataType.I32Array || type === DataType.U8Array ? { ffiTypeTag: FFITypeTag.Array, type, length: (params.paramsValue[i] as unknown[]).length } : type,
  );
  return binding.load({ freeResultMemory: false, ...params, paramsType } as never);
}
const LIBRARY = 'libkeel';

/** Native artifacts sit beside the bundles (dist/, or the installed copy). */
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
export function spawnInit(exeFd: number, fds: number[], base: number, syncFd: number = base): number {
  const result = call(
    'keel_spawn',
    DataType.I32,
    [DataType.I32, DataType.String, DataType.I32Array, DataType.I32, DataType.I32],
    [exeFd, String(syncFd), fds, fds.length, base],
  );
  return check('start keel-init', result);
}

function fdPair(funcName: string, what: string): [number, number] {
  const packed = BigInt(call(funcName, DataType.BigInt, [], []) as unknown as bigint);
  if (packed < 0n) throw new NativeError(what, Number(-packed));
  return [Number(packed >> 32n), Number(packed & 0xffffffffn)];
}

/** A pipe, [read end, write end], both close-on-exec. */
export function pipe(): [number, number] {
  return fdPair('keel_pipe', 'pipe2');
}

export function seqpacketPair(): [number, number] {
  return fdPair('keel_seqpacket_pair', 'socketpair');
}

/** A connected AF_UNIX stream pair, close-on-exec (keel's own console socket). */
export function streamPair(): [number, number] {
  return fdPair('keel_stream_pair', 'socketpair');
}

/**
 * Takes an fd sent on `sock` with SCM_RIGHTS (close-on-exec). With `wait` false it fails with
 * EAGAIN when none is there yet, for an fd keel-init has already reported sent.
 */
export function receiveFd(sock: number, what: string, wait: boolean): number {
  return check(`receive ${what} from keel-init`, call('keel_recv_fd', DataType.I32, [DataType.I32, DataType.I32], [sock, wait ? 1 : 0]));
}

/**
 * The fd the next message on `sock` carries (SCM_RIGHTS), or undefined when it carries none; the
 * message stays queued for a plain read. Waits for the message.
 */
export function peekFd(sock: number, what: string): number | undefined {
  const r = call('keel_peek_fd', DataType.I32, [DataType.I32], [sock]);
  return r === -constants.errno.EPROTO ? undefined : check(`receive ${what}`, r);
}

/** Whether `fd` became readable (or its peer went away) within `timeoutMs`; -1 waits without a limit. */
export function waitReadable(fd: number, timeoutMs: number, what: string): boolean {
  return check(`wait for ${what}`, call('keel_wait_readable', DataType.I32, [DataType.I32, DataType.I32], [fd, timeoutMs])) === 1;
}

export interface WindowSize {
  rows: number;
  cols: number;
}

/** The window size of the terminal on fd, or undefined when fd is not a terminal. */
export function windowSize(fd: number): WindowSize | undefined {
  const r = call('keel_get_winsize', DataType.I32, [DataType.I32], [fd]);
  if (r < 0) return undefined;
  return { rows: r >>> 16, cols: r & 0xffff };
}

/** Turns off "\n" -> "\r\n" output translation on the terminal of the pty master `fd`. */
export function clearOnlcr(fd: number): void {
  check('clear ONLCR on the terminal', call('keel_clear_onlcr', DataType.I32, [DataType.I32], [fd]));
}

export function setWindowSize(fd: number, size: WindowSize): void {
  check('set the terminal size', call('keel_set_winsize', DataType.I32, [DataType.I32, DataType.I32, DataType.I32], [fd, size.rows, size.cols]));
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

/**
 * mount(2); `dir`, when given, is the working directory of the call (relative paths in `data`
 * resolve below it). `what` names the mount in the error.
 */
export function mount(what: string, source: string, target: string, fstype: string, flags: number, data: string, dir = ''): void {
  check(
    `mount(2) of ${what} on ${target}`,
    call('keel_mount', DataType.I32, [DataType.String, DataType.String, DataType.String, DataType.I32, DataType.String, DataType.String], [source, target, fstype, flags, data, dir]),
  );
}

export const MNT_DETACH = 2;

/** umount2(2) of `target`; flags 0 or MNT_DETACH. */
export function umount2(target: string, flags: number): void {
  check(`umount2(2) of ${target}`, call('keel_umount2', DataType.I32, [DataType.String, DataType.I32], [target, flags]));
}

/** An fd to read `path` resolved inside `root` (symlinks and ".." cannot leave it), close-on-exec. */
export function openInRoot(root: string, path: string): number {
  return check(`open ${path} in ${root}`, call('keel_open_in_root', DataType.I32, [DataType.String, DataType.String], [root, path]));
}

/** Makes what is missing of the absolute `path` under `root` (as if it were "/"): directories, the last one a file with `asFile`. */
export function makeMountpoint(root: string, path: string, asFile: boolean): void {
  check(`make the mount point ${path} in ${root}`, call('keel_make_mountpoint', DataType.I32, [DataType.String, DataType.String, DataType.I32], [root, path, asFile ? 1 : 0]));
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

/** Makes this process the child subreaper of its descendants (prctl PR_SET_CHILD_SUBREAPER). */
export function setChildSubreaper(): void {
  check('become the child subreaper (prctl PR_SET_CHILD_SUBREAPER)', call('keel_set_child_subreaper', DataType.I32, [], []));
}

/** The pid of a child that has exited, not reaped (waitid WNOWAIT); undefined when none has (or there are no children). */
export function peekExited(): number | undefined {
  const r = call('keel_peek_exited', DataType.I32, [], []);
  if (r === -10 /* ECHILD */ || r === 0) return undefined;
  return check('look for an exited child (waitid)', r);
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

/** Reaps a child within `timeoutMs`: its raw wait status, or undefined when it is still there then. */
export function waitExitWithin(pid: number, timeoutMs: number): number | undefined {
  const r = call('keel_wait_exit', DataType.I32, [DataType.I32, DataType.I32], [pid, timeoutMs]);
  if (r === -11 /* EAGAIN */) return undefined;
  return check(`wait for ${pid}`, r);
}

export function waitSync(pid: number): number {
  return check(`wait for ${pid}`, call('keel_wait', DataType.I32, [DataType.I32], [pid]));
}

/** Sends `data` and `fd` (SCM_RIGHTS) in one message. */
export function sendFd(socket: number, data: string, fd: number): void {
  check('send an fd', call('keel_send_fd', DataType.I32, [DataType.I32, DataType.String, DataType.I32], [socket, data, fd]));
}

/**
 * Loads a cgroup device program (struct bpf_insn[], from cgroups/device-bpf.ts) and attaches it
 * to a cgroup v2 directory. A refusal by the verifier carries the verifier's log in the message.
 */
export function attachDeviceProgram(cgroupDir: string, program: Buffer): void {
  const r = call('keel_attach_device_program', DataType.I32, [DataType.String, DataType.U8Array, DataType.I32], [cgroupDir, program, program.length]);
  if (r < 0) {
    const log = String(call('keel_bpf_log', DataType.String, [], []) as unknown as string).trim().split('\n').slice(-3).join('; ');
    throw new NativeError(`attach the device program to ${cgroupDir}${log ? ` (verifier: ${log})` : ''}`, -r);
  }
}
