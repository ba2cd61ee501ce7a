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

describe('deriveStatus reads only the facts that decide', () => {
  /** Facts that record which of them were read (StateStore.status looks each up on first read). */
  function recording(f: Partial<LiveFacts>): { facts: LiveFacts; read: string[] } {
    const all = facts(f);
    const read: string[] = [];
    const lazy = {} as LiveFacts;
    for (const key of Object.keys(all) as (keyof LiveFacts)[]) {
      Object.defineProperty(lazy, key, { get: () => (read.push(key), all[key]) });
    }
    return { facts: lazy, read };
  }

  it('asks a creating container only about its creator, a started one never', () => {
    const creating = recording({ creatorAlive: true });
    deriveStatus({ phase: 'creating' }, creating.facts);
    expect(creating.read).toEqual(['creatorAlive']);
    const running = recording({});
    deriveStatus({ phase: 'created', pid: 10 }, running.facts);
    expect(running.read).not.toContain('creatorAlive');
  });

  it('reads no fifo or freezer for a dead init, and no freezer for a created one', () => {
    const dead = recording({ initAlive: false });
    expect(deriveStatus({ phase: 'created', pid: 10 }, dead.facts)).toBe('stopped');
    expect(dead.read).toEqual(['initAlive']);
    const created = recording({ fifoExists: true });
    expect(deriveStatus({ phase: 'created', pid: 10 }, created.facts)).toBe('created');
    expect(created.read).toEqual(['initAlive', 'fifoExists']);
  });
});
