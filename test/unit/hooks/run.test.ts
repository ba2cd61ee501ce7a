import { describe, expect, it } from 'vitest';

import { hookEnv, quoteOutput } from '../../../src/hooks/run.js';

describe('hookEnv', () => {
  it('is exactly the hook\'s env when it has one (an entry without "=" is an empty variable, the last of a name wins)', () => {
    expect(hookEnv({ path: '/h', env: ['A=1', 'B=x=y', 'C', 'A=2'] }, { PATH: '/bin' })).toEqual({ A: '2', B: 'x=y', C: '' });
    expect(hookEnv({ path: '/h', env: [] }, { PATH: '/bin' })).toEqual({});
  });

  it('is the runtime\'s own without one (runc: Go\'s exec with a nil environment)', () => {
    const own = { PATH: '/usr/bin', HOME: '/root' };
    expect(hookEnv({ path: '/h' }, own)).toBe(own);
  });
});

describe('quoteOutput', () => {
  it('quotes the end of a hook\'s output on one line, and nothing for none', () => {
    expect(quoteOutput('stderr', 'first\nsecond\n')).toBe(', stderr: "first\\nsecond"');
    expect(quoteOutput('stdout', ' \n')).toBe('');
    const long = quoteOutput('stderr', `${'x'.repeat(1000)}the end`);
    expect(long).toMatch(/^, stderr: "\.\.\.x+the end"$/);
    expect(long.length).toBeLessThan(320);
  });
});
