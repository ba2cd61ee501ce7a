/** The launcher's record of the caller's fds (native/launch/keel.c) and the check create, run and exec make with it. */
import { describe, expect, it } from 'vitest';

import { checkCallerFds, parseCallerFds, stashCallerFdsRecord } from '../../../src/container/caller-fds.js';

const PID = 4242;
const env = (record: string) => ({ KEEL_CALLER_FDS: record });

describe('parseCallerFds', () => {
  it('reads the ranges of the record about this process', () => {
    expect(parseCallerFds('4242:3-12,15,20-21', PID)).toEqual([
      [3, 12],
      [15, 15],
      [20, 21],
    ]);
    // The caller had nothing open from 3 on.
    expect(parseCallerFds('4242:', PID)).toEqual([]);
  });

  it('ignores a record about another process (inherited from another keel) or one it cannot read', () => {
    expect(parseCallerFds('4243:3-12', PID)).toBeUndefined();
    for (const bad of [undefined, '', '4242', '4242:3-', '4242:a', ':3', '4242:3,,4']) expect(parseCallerFds(bad, PID)).toBeUndefined();
  });
});

describe('checkCallerFds', () => {
  it('passes when every fd from 3 to 2 + N was open in the caller, whatever else was', () => {
    expect(() => checkCallerFds({ listening: 0, preserved: 10 }, env('4242:3-12,251'), PID)).not.toThrow();
    expect(() => checkCallerFds({ listening: 0, preserved: 3 }, env('4242:3,4-5'), PID)).not.toThrow();
    // Nothing to pass: no record needed.
    expect(() => checkCallerFds({ listening: 0, preserved: 0 }, {}, PID)).not.toThrow();
  });

  it('names the first fd the caller left closed (only 3 and 5 open, --preserve-fds 10: fd 4)', () => {
    expect(() => checkCallerFds({ listening: 0, preserved: 10 }, env('4242:3,5'), PID)).toThrow(
      '--preserve-fds 10: fd 4 is not open in the process that ran keel (fds 3 to 12 must all be): open it, or pass fewer fds',
    );
    expect(() => checkCallerFds({ listening: 0, preserved: 2 }, env('4242:'), PID)).toThrow('--preserve-fds 2: fd 3 is not open');
    expect(() => checkCallerFds({ listening: 0, preserved: 10 }, env('4242:3-11'), PID)).toThrow('fd 12 is not open');
  });

  it('checks socket activation fds the same way, naming LISTEN_FDS when the gap is among them', () => {
    expect(() => checkCallerFds({ listening: 2, preserved: 1 }, env('4242:3,5'), PID)).toThrow('LISTEN_FDS=2: fd 4 is not open');
    expect(() => checkCallerFds({ listening: 2, preserved: 1 }, env('4242:3-4'), PID)).toThrow('--preserve-fds 1: fd 5 is not open');
  });

  it('refuses without a record of its own: keel.cjs run directly cannot tell its caller\'s fds from Node\'s', () => {
    expect(() => checkCallerFds({ listening: 0, preserved: 1 }, {}, PID)).toThrow(/--preserve-fds 1: keel cannot tell which fds its caller left open/);
    expect(() => checkCallerFds({ listening: 0, preserved: 1 }, env('1:3-12'), PID)).toThrow(/cannot tell/);
  });

  it('answers at once for a huge --preserve-fds (it walks ranges, not fds)', () => {
    const started = Date.now();
    expect(() => checkCallerFds({ listening: 0, preserved: 999_999_999 }, env('4242:3-1000'), PID)).toThrow('fd 1001 is not open');
    expect(Date.now() - started).toBeLessThan(100);
  });
});

describe('stashCallerFdsRecord', () => {
  it('takes the record out of the environment that hooks inherit, and checkCallerFds still reads it', () => {
    const env: NodeJS.ProcessEnv = { KEEL_CALLER_FDS: `${process.pid}:3-4`, PATH: '/bin' };
    const saved = process.env.KEEL_CALLER_FDS;
    process.env.KEEL_CALLER_FDS = env.KEEL_CALLER_FDS;
    try {
      stashCallerFdsRecord();
      expect(process.env.KEEL_CALLER_FDS).toBeUndefined();
      expect(() => checkCallerFds({ listening: 0, preserved: 2 })).not.toThrow();
      expect(() => checkCallerFds({ listening: 0, preserved: 3 })).toThrow(/fd 5 is not open/);
    } finally {
      if (saved === undefined) delete process.env.KEEL_CALLER_FDS;
      else process.env.KEEL_CALLER_FDS = saved;
    }
  });
});
