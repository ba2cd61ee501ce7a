/**
 * Every property a JSON Schema (with the files its $refs name) lets a document have, as JSON
 * pointer patterns: "*" stands for any array index or any key of a map (additionalProperties).
 * For the coverage test: a field the schemas admit must be applied or refused by keel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

type Schema = Record<string, unknown>;

export function schemaPointers(dir: string, file: string): Set<string> {
  const files = new Map<string, Schema>();
  const load = (name: string): Schema => {
    let doc = files.get(name);
    if (!doc) files.set(name, (doc = JSON.parse(readFileSync(join(dir, name), 'utf8')) as Schema));
    return doc;
  };
  const resolve = (ref: string, base: string): [Schema, string] => {
    const [target = '', fragment = ''] = ref.split('#');
    const name = target ? target.split('/').pop()! : base;
    let node: unknown = load(name);
    for (const part of fragment.split('/').filter(Boolean)) node = (node as Schema)[decodeURIComponent(part)];
    if (!node || typeof node !== 'object') throw new Error(`${base}: $ref ${ref} leads nowhere`);
    return [node as Schema, name];
  };
  const found = new Set<string>();
  const seen = new Set<string>();
  const walk = (schema: Schema, base: string, at: string): void => {
    const key = `${base}|${JSON.stringify(schema).length}|${at}|${Object.keys(schema).join()}`;
    if (seen.has(key) || at.split('/').length > 12) return;
    seen.add(key);
    if (typeof schema.$ref === 'string') {
      const [target, name] = resolve(schema.$ref, base);
      walk(target, name, at);
    }
    for (const [name, sub] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
      const pointer = `${at}/${name}`;
      found.add(pointer);
      walk(sub, base, pointer);
    }
    for (const sub of Object.values((schema.patternProperties as Record<string, Schema>) ?? {})) {
      found.add(`${at}/*`);
      walk(sub, base, `${at}/*`);
    }
    if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
      found.add(`${at}/*`);
      walk(schema.additionalProperties as Schema, base, `${at}/*`);
    }
    const items = schema.items;
    if (items && typeof items === 'object') {
      for (const sub of Array.isArray(items) ? items : [items]) walk(sub as Schema, base, `${at}/*`);
    }
    for (const combinator of ['allOf', 'anyOf', 'oneOf']) {
      for (const sub of (schema[combinator] as Schema[]) ?? []) walk(sub, base, at);
    }
    for (const branch of ['if', 'then', 'else', 'not']) {
      if (schema[branch] && typeof schema[branch] === 'object') walk(schema[branch] as Schema, base, at);
    }
    for (const sub of Object.values((schema.dependentSchemas as Record<string, Schema>) ?? {})) walk(sub, base, at);
  };
  walk(load(file), file, '');
  return found;
}
