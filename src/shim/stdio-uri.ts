/**
 * containerd's stdio URIs for a process's output: a fifo path, file://, binary:// (a logging
 * program and its arguments), or nothing. Pure: what to open or start; process-io.ts does it.
 */
import { KeelError } from '../util/errors.js';

export interface LoggerCommand {
  path: string;
  args: string[];
}

export type OutputTarget = { kind: 'null' } | { kind: 'fifo' | 'file'; path: string } | ({ kind: 'binary' } & LoggerCommand);

/** Where an output goes: a fifo path, a file:// URI, a logging program, or nowhere. Pure: what to open, how. */
export function outputTarget(uri: string): OutputTarget {
  if (uri === '') return { kind: 'null' };
  if (uri.startsWith('file://')) return { kind: 'file', path: decodeURIComponent(uri.slice('file://'.length)) };
  if (uri.startsWith('binary://')) return { kind: 'binary', ...loggerCommand(uri) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new KeelError(`stdio "${uri}": unknown scheme; containerd-shim-keel-v1 takes fifo paths, file:// and binary:// URIs`);
  return { kind: 'fifo', path: uri };
}

/**
 * binary:///path/to/logger?key=value&flag: the program is the URI's path, and its arguments each
 * query key followed by its first value ("" for a key without one), as containerd's
 * NewBinaryCmd makes them (in the order written: Go's map has none).
 */
function loggerCommand(uri: string): LoggerCommand {
  const url = new URL(uri);
  const path = decodeURIComponent(url.pathname);
  if (!path.startsWith('/')) throw new KeelError(`stdio "${uri}": a binary:// URI names the logging program by its absolute path (binary:///path/to/program)`);
  const args: string[] = [];
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (seen.has(key)) continue;
    seen.add(key);
    args.push(key, value);
  }
  return { path, args };
}
