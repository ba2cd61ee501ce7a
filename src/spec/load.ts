import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { KeelError, errnoCode, fsError } from '../util/errors.js';
import { formatProblem, type SpecProblem } from './problem.js';
import { checkConfigSemantics } from './semantic.js';
import type { Spec } from './types.js';
import { validateConfig } from './validate.js';

export interface LoadedBundle {
  bundle: string;
  spec: Spec;
  rootfs: string;
}

export interface CheckedBundle {
  bundle: string;
  file: string;
  /** Set when the document has the shape of a config (the schema accepted it). */
  spec?: Spec;
  rootfs?: string;
  problems: SpecProblem[];
}

/**
 * Reads a bundle's config.json and finds every fault that needs no plan: JSON syntax, the schema,
 * the rules a schema cannot state, and a root filesystem that is not a directory. Shared by
 * `create` (which stops at the first fault) and `keel validate` (which lists them all).
 */
export function checkBundle(bundleDir: string): CheckedBundle {
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
  const schemaProblems = validateConfig(doc);
  if (schemaProblems.length) return { bundle, file, problems: schemaProblems };
  const spec = doc as Spec;
  const problems = checkConfigSemantics(spec);
  if (!spec.root) return { bundle, file, spec, problems };
  const rootfs = resolve(bundle, spec.root.path);
  const rootfsProblem = checkRootfs(rootfs);
  if (rootfsProblem) problems.push(rootfsProblem);
  return { bundle, file, spec, rootfs, problems };
}

function checkRootfs(rootfs: string): SpecProblem | undefined {
  try {
    if (statSync(rootfs).isDirectory()) return undefined;
    return { path: '/root/path', message: `root filesystem "${rootfs}" is not a directory` };
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { path: '/root/path', message: `root filesystem "${rootfs}" does not exist` };
    throw fsError('cannot use the root filesystem', rootfs, err);
  }
}

/** The bundle `create` uses: any fault is an error naming its JSON path. */
export function loadBundle(bundleDir: string): LoadedBundle {
  const checked = checkBundle(bundleDir);
  const [first, ...rest] = checked.problems;
  if (first) {
    const more = rest.length ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''}: run "keel validate --bundle ${checked.bundle}")` : '';
    throw new KeelError(formatProblem(first, checked.file) + more);
  }
  return { bundle: checked.bundle, spec: checked.spec!, rootfs: checked.rootfs! };
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
