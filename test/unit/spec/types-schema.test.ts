/**
 * src/spec/types.ts is written by hand beside spec-schemas/: this keeps the two from drifting.
 * Every field a schema admits must be declared in the type at the same place (else keel's code
 * cannot read it without a cast, and a field the schemas take goes unnoticed), and every field the
 * type declares must be in the schema (else a misspelt name type-checks while the real field,
 * which the schema lets through as unknown, is silently ignored).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { schemaPointers } from '../../helpers/schema-walk.js';
import { ROOT } from '../../helpers/source-imports.js';
import { typeFieldsOf } from '../../helpers/type-fields.js';

const SCHEMAS = join(ROOT, 'spec-schemas');
const types = typeFieldsOf(join(ROOT, 'src/spec/types.ts'));
const stateOutput = typeFieldsOf(join(ROOT, 'src/container/state.ts'));

// state.schema.json is what `keel state` prints: runc's shape, StateOutput. types.ts's State is
// the runtime-spec's part of it, which hooks read; checked below.
const PAIRS = [
  { type: 'Spec', schema: 'config.schema.json', fields: () => types.of('Spec') },
  { type: 'StateOutput', schema: 'state.schema.json', fields: () => stateOutput.of('StateOutput') },
  { type: 'Features', schema: 'features.schema.json', fields: () => types.of('Features') },
];

/** The pointers of `a` that `b` lacks, sorted. */
const missing = (a: Set<string>, b: Set<string>) => [...a].filter((p) => !b.has(p)).sort();

describe('src/spec/types.ts and spec-schemas/ declare the same fields', () => {
  it.each(PAIRS)('$type has a field for every property of $schema (and the files it refers to)', ({ schema, fields }) => {
    expect(missing(schemaPointers(SCHEMAS, schema), fields())).toEqual([]);
  });

  it.each(PAIRS)('$schema has a property for every field of $type', ({ schema, fields }) => {
    expect(missing(fields(), schemaPointers(SCHEMAS, schema))).toEqual([]);
  });

  it('the hooks\' State is the runtime-spec part of the state `keel state` prints', () => {
    const state = types.of('State');
    expect(missing(state, stateOutput.of('StateOutput'))).toEqual([]);
    expect([...state].sort()).toEqual(['/annotations', '/annotations/*', '/bundle', '/id', '/ociVersion', '/pid', '/status']);
  });

  it('sees the whole of both trees (deep fields, array items, maps; through $refs across files and type aliases)', () => {
    const config = schemaPointers(SCHEMAS, 'config.schema.json');
    const spec = types.of('Spec');
    for (const pointer of ['/linux/seccomp/syscalls/*/args/*/valueTwo', '/linux/resources/devices/*/allow', '/annotations/*', '/process/rlimits/*/hard', '/hooks/prestart/*/timeout', '/linux/sysctl/*']) {
      expect(config, pointer).toContain(pointer);
      expect(spec, pointer).toContain(pointer);
    }
    expect(config.size).toBeGreaterThan(200);
  });
});

describe('the type walk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-type-fields-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds a misspelt field and one left out, where the schema walk names them', () => {
    const file = join(dir, 'types.ts');
    writeFileSync(file, [
      'export interface Spec { process?: Process; annotations?: Record<string, string>; mounts?: Mount[] }',
      'interface Process { args: string[]; noNewPrivileges?: boolean; user?: { uid: number } | string }',
      'type Mount = { destination: string; optons?: string[] };',
    ].join('\n'));
    const fields = typeFieldsOf(file).of('Spec');
    expect([...fields].sort()).toEqual(['/annotations', '/annotations/*', '/mounts', '/mounts/*/destination', '/mounts/*/optons', '/process', '/process/args', '/process/noNewPrivileges', '/process/user', '/process/user/uid']);
    const schema = schemaPointers(SCHEMAS, 'config.schema.json');
    expect(missing(fields, schema)).toEqual(['/mounts/*/optons']);
    expect(missing(schema, fields)).toContain('/mounts/*/options');
  });
});
