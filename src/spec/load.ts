import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { KeelError, errnoCode, fsError } from '../util/errors.js';
import { checkConfigSemantics } from './semantic.js';
import type { Spec } from './types.js';
import { formatProblem, validateConfig } from './validate.js';

export interface LoadedBundle {
  bundle: string;
  spec: Spec;
  rootfs: string;
}

/**
 * Reads and checks a bundle before anything is created: JSON syntax, the schema, the rules a
 * schema cannot state, and that the root filesystem is a directory.
 */
export function loadBundle(bundleDir: string): LoadedBundle {
  const bundle = resolve(bundleDir);
  const file = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fsError('cannot read the bundle config', file, err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new KeelError(`${file}: invalid JSON: ${(err as Error).message}`);
  }
  refuseDeepNesting(doc, file);
  const problems = validateConfig(doc);
  const spec = doc as Spec;
  if (!problems.length) problems.push(...checkConfigSemantics(spec));
  if (problems.length) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''}: run "keel validate --bundle ${bundle}")` : '';
    throw new KeelError(formatProblem(problems[0]!, file) + more);
  }
  const rootfs = resolve(bundle, spec.root!.path);
  let isDir: boolean;
  try {
    isDir = statSync(rootfs).isDirectory();
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new KeelError(`root filesystem "${rootfs}" does not exist (config.json: /root/path)`);
    throw fsError('cannot use the root filesystem', rootfs, err);
  }
  if (!isDir) throw new KeelError(`root filesystem "${rootfs}" is not a directory (config.json: /root/path)`);
  return { bundle, spec, rootfs };
}

/** No config needs this many levels; deeper ones would exhaust the stack of the recursive checks. */
const MAX_NESTING = 100;

/** Refuses a document nested deeper than MAX_NESTING, found without recursion, naming where. */
function refuseDeepNesting(doc: unknown, file: string): void {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: doc, path: '', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (!value || typeof value !== 'object') continue;
    if (depth >= MAX_NESTING) throw new KeelError(`${file}: ${path.slice(0, 60)}...: nested more than ${MAX_NESTING} levels deep`);
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, path: `${path}/${key}`, depth: depth + 1 });
  }
}
