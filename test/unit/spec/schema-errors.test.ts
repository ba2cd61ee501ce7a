// explainSchemaErrors on error lists ajv produces for small schemas compiled here (tests may
// compile; keel itself only runs the pre-compiled validators).
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';

import { explainSchemaErrors } from '../../../src/spec/schema-errors.js';

function explain(schema: object, doc: unknown) {
  const validate = new Ajv2020({ allErrors: true, messages: false, strictTypes: false }).compile(schema);
  expect(validate(doc)).toBe(false);
  return explainSchemaErrors(validate.errors ?? [], doc, {});
}

describe('explainSchemaErrors', () => {
  it('explains a general anyOf by the branch whose type fits the value', () => {
    const schema = {
      properties: {
        size: { anyOf: [{ type: 'object', required: ['bytes', 'unit'] }, { type: 'string', pattern: '^[0-9]+$' }] },
      },
    };
    expect(explain(schema, { size: {} })).toEqual([
      { path: '/size', message: 'missing required field "bytes"' },
      { path: '/size', message: 'missing required field "unit"' },
    ]);
    expect(explain(schema, { size: '12k' })).toEqual([{ path: '/size', message: 'must match /^[0-9]+$/ (got "12k")' }]);
  });

  it('lists the possible types when no branch fits', () => {
    const schema = { anyOf: [{ type: 'integer' }, { type: 'string' }, { type: ['array', 'null'] }] };
    expect(explain(schema, true)).toEqual([
      { path: '', message: 'must be an integer or a string or an array or null (got true)' },
    ]);
  });

  it('reports the failing part of an if/else once, without the if', () => {
    const schema = { if: { properties: { kind: { const: 'fifo' } } }, else: { required: ['major'] } };
    expect(explain(schema, { kind: 'char' })).toEqual([{ path: '', message: 'missing required field "major"' }]);
  });

  it('words keywords it has no phrase for by name', () => {
    expect(explain({ uniqueItems: true }, [1, 1])).toEqual([
      { path: '', message: 'does not satisfy the schema\'s "uniqueItems" rule (got an array)' },
    ]);
  });
});
