import { describe, expect, it } from 'vitest';

import { KeelError } from '../../../src/util/errors.js';

describe('KeelError', () => {
  it('stays one line whatever a config puts in it', () => {
    expect(new KeelError('mount "a\nb" (x\ty,\u0000z\r): invalid argument').message).toBe('mount "a\\nb" (x\\ty,\\x00z\\x0d): invalid argument');
  });
});
