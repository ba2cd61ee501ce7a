// Turns ajv's validation errors into one plain problem per fault. ajv reports every failed
// keyword, so a single mistake can surface several times (each branch of an anyOf, then the
// anyOf itself; an if/else, then the else's own errors); here each fault becomes one message that
// says what was expected and what was found.
import type { ErrorObject } from 'ajv';
import type { SpecProblem } from './problem.js';
import { SUPPORTED_SPEC_VERSIONS } from './version.js';

/** Def name -> description, from spec-schemas/defs.schema.json. */
export type DefDescriptions = Readonly<Record<string, string>>;

export function explainSchemaErrors(
  errors: readonly ErrorObject[],
  doc: unknown,
  defs: DefDescriptions,
): SpecProblem[] {
  const problems = explainAll(errors, doc, defs);
  // A described def words all its failures alike: -1.5 for a uint32 fails both "type" and
  // "minimum", and both say "must be an integer from 0 to 4294967295".
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function explainAll(errors: readonly ErrorObject[], doc: unknown, defs: DefDescriptions): SpecProblem[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf');
  const inBranch = new Set(errors.filter((e) => alternatives.some((alt) => isBranchError(e, alt))));
  return errors.flatMap((e) => {
    // An if/then/else error only says "the then (or else) part failed"; that part's own errors
    // are in the list and say why.
    if (e.keyword === 'if' || inBranch.has(e)) return [];
    if (e.keyword === 'anyOf') return explainAnyOf(e, errors.filter((b) => isBranchError(b, e)), doc, defs);
    return [{ path: e.instancePath, message: explainOne(e, doc, defs) }];
  });
}

function isBranchError(error: ErrorObject, alternative: ErrorObject): boolean {
  return (
    error !== alternative &&
    error.schemaPath.startsWith(`${alternative.schemaPath}/`) &&
    (error.instancePath === alternative.instancePath || error.instancePath.startsWith(`${alternative.instancePath}/`))
  );
}

// The schemas use anyOf for "at least one of these fields". Any other anyOf is explained by one
// branch: among those whose type fits the value, the one with the fewest errors, which is most
// likely the one the author meant; when no branch's type fits, by the types it could have had.
function explainAnyOf(
  alternative: ErrorObject,
  branchErrors: ErrorObject[],
  doc: unknown,
  defs: DefDescriptions,
): SpecProblem[] {
  const path = alternative.instancePath;
  if (branchErrors.every((e) => e.keyword === 'required' && e.instancePath === path)) {
    const fields = branchErrors.map((e) => JSON.stringify(e.params.missingProperty));
    return [{ path, message: `must set at least one of ${fields.join(', ')}` }];
  }
  const isTypeMismatch = (e: ErrorObject) => e.keyword === 'type' && e.instancePath === path;
  const branches = new Map<string, ErrorObject[]>();
  for (const e of branchErrors) {
    const branch = e.schemaPath.slice(alternative.schemaPath.length + 1).split('/')[0] ?? '';
    branches.set(branch, [...(branches.get(branch) ?? []), e]);
  }
  const fitting = [...branches.values()].filter((errors) => !errors.some(isTypeMismatch));
  if (fitting.length === 0) {
    const types = new Set(branchErrors.filter(isTypeMismatch).flatMap((e) => typeList(e.params.type)));
    return [{ path, message: `must be ${typeNames([...types])}${found(doc, path)}` }];
  }
  const closest = fitting.sort((a, b) => a.length - b.length)[0] ?? [];
  return explainAll(closest, doc, defs);
}

// A shared def words its own failures from its description: "must be an absolute path".
const DEF_ERROR = /^defs\.schema\.json#\/\$defs\/([^/]+)\/(type|pattern|minimum|maximum|not)$/;

function explainOne(e: ErrorObject, doc: unknown, defs: DefDescriptions): string {
  const value = valueAt(doc, e.instancePath);
  const got = found(doc, e.instancePath);
  const def = DEF_ERROR.exec(e.schemaPath)?.[1];
  if (def !== undefined && defs[def] !== undefined) {
    // The one fault users meet most often gets the most specific words.
    if (def === 'ociVersion' && typeof value === 'string') {
      return `unsupported version ${JSON.stringify(value)}: keel supports ${SUPPORTED_SPEC_VERSIONS}`;
    }
    return `must be ${defs[def]}${got}`;
  }
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `missing required field ${JSON.stringify(params.missingProperty)}`;
    case 'dependentRequired':
      return `${JSON.stringify(params.property)} requires ${JSON.stringify(params.missingProperty)} to be set too`;
    case 'type':
      return `must be ${typeNames(typeList(params.type))}${got}`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map(String).join(', ')}${got}`;
    case 'const':
      return `must be ${JSON.stringify(params.allowedValue)}${got}`;
    case 'minItems':
      return params.limit === 1 ? 'must be a non-empty array' : `must have at least ${String(params.limit)} items`;
    case 'minimum':
      return `must be at least ${String(params.limit)}${got}`;
    case 'maximum':
      return `must be at most ${String(params.limit)}${got}`;
    case 'pattern':
      return `must match /${String(params.pattern)}/${got}`;
    default:
      return `does not satisfy the schema's "${e.keyword}" rule${got}`;
  }
}

const ARTICLE: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  null: 'null',
};

/** ajv gives the schema's "type": one name, or an array of them. */
function typeList(type: unknown): string[] {
  return (Array.isArray(type) ? type : [type]).map(String);
}

function typeNames(types: readonly string[]): string {
  return types.map((t) => ARTICLE[t] ?? t).join(' or ');
}

/** " (got <value>)", or nothing when there is no value to show. */
function found(doc: unknown, pointer: string): string {
  const value = valueAt(doc, pointer);
  return value === undefined ? '' : ` (got ${describeValue(value)})`;
}

const MAX_SHOWN_STRING = 40;

function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return value.length > MAX_SHOWN_STRING
      ? `${JSON.stringify(value.slice(0, MAX_SHOWN_STRING))}...`
      : JSON.stringify(value);
  }
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JSON number or boolean by now
  return String(value);
}

/** The value a JSON pointer (as ajv writes instancePath) designates, or undefined. */
function valueAt(doc: unknown, pointer: string): unknown {
  if (pointer === '') return doc;
  let node = doc;
  for (const token of pointer.slice(1).split('/')) {
    if (node === null || typeof node !== 'object') return undefined;
    const key = token.replace(/~1/g, '/').replace(/~0/g, '~');
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
