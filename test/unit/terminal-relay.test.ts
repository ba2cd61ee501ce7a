import { describe, expect, it } from 'vitest';

import { sizeAtStart } from '../../src/container/terminal-relay.js';

describe('sizeAtStart', () => {
  it("gives the pty the caller's size when the config names none", () => {
    expect(sizeAtStart(undefined, { rows: 30, cols: 100 })).toEqual({ rows: 30, cols: 100 });
  });

  it('leaves process.consoleSize alone: it takes precedence at start', () => {
    expect(sizeAtStart({ height: 20, width: 50 }, { rows: 30, cols: 100 })).toBeUndefined();
  });

  it('ignores an empty consoleSize and a caller that is not at a terminal (or reports 0x0)', () => {
    expect(sizeAtStart({ height: 0, width: 0 }, { rows: 30, cols: 100 })).toEqual({ rows: 30, cols: 100 });
    expect(sizeAtStart(undefined, undefined)).toBeUndefined();
    expect(sizeAtStart(undefined, { rows: 0, cols: 0 })).toBeUndefined();
  });
});
