/**
 * A value flag as the last argument, with nothing after it, is refused (runc: "flag needs an
 * argument"); anything after a value flag is its value, as Go's flag package reads it.
 */
import { describe, expect, it } from 'vitest';

import { flagMissingValue, valueFlagNames } from '../../../src/cli/missing-value.js';

const names = valueFlagNames({ string: ['bundle', 'lsm-mount-context', 'root'], number: ['preserve-fds'], alias: { bundle: ['b'] } });

describe('flagMissingValue', () => {
  it('names a value flag (long, or its one-letter alias) given last', () => {
    expect(flagMissingValue(['restore', '--lsm-mount-context'], names)).toBe('--lsm-mount-context');
    expect(flagMissingValue(['create', 'c1', '-b'], names)).toBe('-b');
    expect(flagMissingValue(['create', 'c1', '--preserve-fds'], names)).toBe('--preserve-fds');
    expect(flagMissingValue(['--root'], names)).toBe('--root');
  });

  it('leaves a flag that has its value, a boolean, or a flag inside a program\'s arguments', () => {
    expect(flagMissingValue(['create', '--bundle', 'b', 'c1'], names)).toBeUndefined();
    expect(flagMissingValue(['create', 'c1', '--bundle='], names)).toBeUndefined();
    expect(flagMissingValue(['create', 'c1', '--bundle', ''], names)).toBeUndefined();
    expect(flagMissingValue(['delete', 'c1', '--force'], names)).toBeUndefined();
    expect(flagMissingValue(['exec', 'c1', '--', 'ls', '--root'], names)).toBeUndefined();
    expect(flagMissingValue([], names)).toBeUndefined();
  });
});
