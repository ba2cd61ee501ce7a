/**
 * The part of a config.json that passed the schema, so that `keel validate` can run the semantic
 * checks and the compiler on it too, and list their problems beside the schema's: a config with
 * a bad mount and a bad rlimit hears of both at once. Pure.
 *
 * Each value the schema refused is taken out (an array element as a whole, so that its siblings
 * keep their meaning), until what is left passes. Where taking a value out leaves an object
 * without a field it must have, the field gets keel's default value in its place (process.args
 * becomes ["sh"]) so that the rest of the object is still checked; an array element, or an object
 * without a default for the field, is taken out instead. Problems found in what is left are
 * reported at their paths in the original document; those about what was taken out or put in are
 * dropped (the schema's own problem already names the place).
 */
import type { ErrorObject } from 'ajv';

import { defaultSpec } from './default.js';
import type { SpecProblem } from './problem.js';
import type { Spec } from './types.js';

/** ajv's compiled validator: true when valid, else the reasons in `errors` (allErrors). */
export interface RawValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export interface SchemaValidPart {
  spec: Spec;
  /** The problem at its path in the original document, or undefined when it is about a value taken out or put in. */
  locate: (problem: SpecProblem) => SpecProblem | undefined;
}

const TAKEN_OUT = Symbol('taken out');
/** More rounds than any config's nesting needs; each round takes out at least one value. */
const MAX_ROUNDS = 200;

/** The schema-valid part of `doc`, or undefined when nothing of it is (not an object, say). */
export function schemaValidPart(doc: unknown, validate: RawValidator): SchemaValidPart | undefined {
  const work = structuredClone(doc);
  /** Original pointers of the values taken out or put in. */
  const changed: string[] = [];
  const putIn = new Set<string>();
  const defaults = defaultSpec();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const view = materialize(work);
    if (validate(view.value)) return { spec: view.value as Spec, locate: (p) => locate(p, view.indices, changed) };
    let progress = false;
    for (const e of validate.errors ?? []) {
      // An if/then error only says that the then part failed (its own errors follow); an anyOf
      // branch's errors are the anyOf's, which takes the value out as a whole.
      if (e.keyword === 'if' || /\/anyOf\/\d+\//.test(e.schemaPath)) continue;
      const at = toOriginal(e.instancePath, view.indices);
      const params = e.params as Record<string, unknown>;
      if (e.keyword === 'required' && !isArrayElement(at)) {
        const field = `${at}/${escapeToken(String(params.missingProperty))}`;
        const fallback = valueAt(defaults, field);
        // (Once only: a default the schema refuses here too takes the object out next round.)
        if (fallback !== undefined && !putIn.has(field)) {
          setAt(work, field, structuredClone(fallback));
          putIn.add(field);
          changed.push(field);
          progress = true;
          continue;
        }
      }
      const target = typeof params.additionalProperty === 'string' ? `${at}/${escapeToken(params.additionalProperty)}` : at;
      if (target === '') return undefined;
      if (valueAt(work, target) === undefined || valueAt(work, target) === TAKEN_OUT) continue;
      setAt(work, target, TAKEN_OUT);
      changed.push(target);
      progress = true;
    }
    if (!progress) return undefined;
  }
  return undefined;
}

function locate(problem: SpecProblem, indices: Map<string, number[]>, changed: readonly string[]): SpecProblem | undefined {
  const path = toOriginal(problem.path, indices);
  if (changed.some((c) => path === c || path.startsWith(`${c}/`))) return undefined;
  // "missing required field X" of an object whose X was taken out: the schema named X already.
  const missing = /^missing required field "([^"]+)"/.exec(problem.message)?.[1];
  if (missing !== undefined && changed.includes(`${path}/${escapeToken(missing)}`)) return undefined;
  // A verdict on a whole array ("no mount is at /proc: add ... to /mounts") may be wrong once some
  // of its elements were taken out: the schema's problem comes first.
  const cited = problem.message.match(/(?:\/[\w.-]+)+/g) ?? [];
  if (cited.some((pointer) => changed.some((c) => c.startsWith(`${pointer}/`) && /^\/\d+$/.test(c.slice(pointer.length))))) return undefined;
  // A message may point at another value ("first at /linux/namespaces/2"): in original indices too.
  const message = problem.message.replace(/(?:\/[^\s"'/()]+)+/g, (pointer) => toOriginal(pointer, indices));
  return { path, message };
}

/**
 * A copy of `node` without the values taken out; `indices` maps each array (by its pointer in the
 * copy) to the original index of each element kept.
 */
function materialize(node: unknown): { value: unknown; indices: Map<string, number[]> } {
  const indices = new Map<string, number[]>();
  const copy = (value: unknown, pointer: string): unknown => {
    if (Array.isArray(value)) {
      const kept: number[] = [];
      const out: unknown[] = [];
      value.forEach((item, i) => {
        if (item === TAKEN_OUT) return;
        kept.push(i);
        out.push(copy(item, `${pointer}/${out.length}`));
      });
      indices.set(pointer, kept);
      return out;
    }
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) if (item !== TAKEN_OUT) out[key] = copy(item, `${pointer}/${escapeToken(key)}`);
      return out;
    }
    return value;
  };
  return { value: copy(node, ''), indices };
}

/** A pointer into the copy, as a pointer into the original (array indices before anything was taken out). */
function toOriginal(pointer: string, indices: Map<string, number[]>): string {
  if (pointer === '') return '';
  let inCopy = '';
  let original = '';
  for (const token of pointer.slice(1).split('/')) {
    const kept = indices.get(inCopy);
    const index = kept && /^\d+$/.test(token) ? kept[Number(token)] : undefined;
    original += `/${index ?? token}`;
    inCopy += `/${token}`;
  }
  return original;
}

function isArrayElement(pointer: string): boolean {
  return /\/\d+$/.test(pointer);
}

const escapeToken = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeToken = (token: string) => token.replace(/~1/g, '/').replace(/~0/g, '~');

function valueAt(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const token of pointer === '' ? [] : pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[unescapeToken(token)];
  }
  return node;
}

/** Sets the value at `pointer` (its parent exists: it is a path the schema or the defaults named). */
function setAt(doc: unknown, pointer: string, value: unknown): void {
  const tokens = pointer.slice(1).split('/');
  const last = unescapeToken(tokens.pop()!);
  const parent = valueAt(doc, tokens.length ? `/${tokens.join('/')}` : '') as Record<string, unknown>;
  parent[last] = value;
}
