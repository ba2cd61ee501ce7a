import { describe, expect, it } from 'vitest';

import { KeelError } from '../../../src/util/errors.js';

describe('KeelError', () => {
  it('stays one line whatever a config puts in it', () => {
    expect(new KeelError('mount "a\nb" (x\ty,\u0000z\r): invalid argument').message).toBe('mount "a\\nb" (x\\ty,\\x00z\\x0d): invalid argument');
  });
  it('shows a lone surrogate as U+FFFD, the same on stderr and in the JSON log', () => {
    expect(new KeelError('option \ud800 and 😀').message).toBe('option \ufffd and 😀');
  });
});
