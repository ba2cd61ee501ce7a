import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { dedupeEnv } from '../../../src/plan/env.js';
import { planInput } from '../../helpers/plan.js';

describe('dedupeEnv', () => {
  it('keeps one entry per name: the last value, where the name first appeared (as runc 1.1)', () => {
    expect(dedupeEnv(['PATH=/nonexist', 'B=1', 'PATH=/bin', 'A=1', 'A=2'])).toEqual(['PATH=/bin', 'B=1', 'A=2']);
  });
  it('tells names apart by the whole name, and keeps empty values', () => {
    expect(dedupeEnv(['A=1', 'AB=2', 'A=', 'A==x'])).toEqual(['A==x', 'AB=2']);
    expect(dedupeEnv(['A=1', 'AB=2', 'A='])).toEqual(['A=', 'AB=2']);
  });
  it('is what the container process gets, HOME added after', () => {
    const exec = compilePlan(planInput((s) => (s.process!.env = ['PATH=/nonexist', 'PATH=/bin', 'A=1', 'A=2']))).ops.find((o) => o.name === 'exec')!;
    expect(exec.args.env).toEqual(['PATH=/bin', 'A=2', 'HOME=/']);
  });
});
