import { describe, expect, it } from 'vitest';

import { deriveStatus, type LiveFacts } from '../../../src/state/status.js';

const facts = (f: Partial<LiveFacts>): LiveFacts => ({ initAlive: true, creatorAlive: false, fifoExists: false, frozen: false, ...f });

describe('deriveStatus', () => {
  it('is creating while the creating keel lives, and stopped once it died without finishing', () => {
    expect(deriveStatus({ phase: 'creating' }, facts({ creatorAlive: true }))).toBe('creating');
    expect(deriveStatus({ phase: 'creating' }, facts({ creatorAlive: false }))).toBe('stopped');
  });

  it('is created while the exec fifo waits, running after start, paused when frozen', () => {
    expect(deriveStatus({ phase: 'created', pid: 10 }, facts({ fifoExists: true }))).toBe('created');
    expect(deriveStatus({ phase: 'created', pid: 10 }, facts({}))).toBe('running');
    expect(deriveStatus({ phase: 'created', pid: 10 }, facts({ frozen: true }))).toBe('paused');
  });

  it('is stopped once the init is gone (or its PID now names another process)', () => {
    expect(deriveStatus({ phase: 'created', pid: 10 }, facts({ initAlive: false, fifoExists: true }))).toBe('stopped');
  });
});
