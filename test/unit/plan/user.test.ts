import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { compileUser, MAX_ID } from '../../../src/plan/user.js';
import { throwProblem } from '../../../src/spec/problem.js';
import { planInput } from '../../helpers/plan.js';
import { collectProblems } from '../../helpers/problems.js';

describe('compileUser', () => {
  it('refuses uid and gid 4294967295, which setresuid/setresgid read as "unchanged" (the process would stay root)', () => {
    expect(() => compilePlan(planInput((s) => (s.process!.user = { uid: 4294967295, gid: 0 })))).toThrow(
      'config.json: /process/user/uid: 4294967295 is not a usable id: uids and gids must be in 0-2147483647 (4294967295, which is -1, would leave the process root)',
    );
    expect(() => compilePlan(planInput((s) => (s.process!.user = { uid: 1000, gid: 4294967295 })))).toThrow(/^config\.json: \/process\/user\/gid: 4294967295 is not a usable id/);
  });
  it('names every bad id, additional gids by index', () => {
    const problems = collectProblems((report) => compileUser({ uid: 4294967295, gid: 2 ** 31, additionalGids: [5, 4294967295, -1, 1.5] }, report));
    expect(problems.map((p) => p.split(':')[0])).toEqual(['/process/user/uid', '/process/user/gid', '/process/user/additionalGids/1', '/process/user/additionalGids/2', '/process/user/additionalGids/3']);
  });
  it('follows runc: ids up to 2^31-1 are accepted, above are refused', () => {
    expect(compileUser({ uid: MAX_ID, gid: MAX_ID, additionalGids: [MAX_ID] }, throwProblem)).toEqual({ uid: MAX_ID, gid: MAX_ID, additionalGids: [MAX_ID] });
    expect(() => compileUser({ uid: MAX_ID + 1, gid: 0 }, throwProblem)).toThrow(/\/process\/user\/uid/);
  });
});

describe('additional gids', () => {
  it('keeps each once, in the order first given, as runc', () => {
    expect(compileUser({ uid: 1, gid: 1, additionalGids: [7, 7, 8, 7] }, throwProblem).additionalGids).toEqual([7, 8]);
    const setUser = compilePlan(planInput((s) => (s.process!.user = { uid: 1, gid: 1, additionalGids: [7, 7, 8] }))).ops.find((o) => o.name === 'set-user');
    expect(setUser?.args.additionalGids).toEqual([7, 8]);
  });

  it('refuses more than the kernel allows (65536), naming the field, and names a long list in a few words', () => {
    const many = Array.from({ length: 65537 }, (_, i) => i);
    expect(collectProblems((report) => compileUser({ uid: 0, gid: 0, additionalGids: many }, report))).toEqual(['/process/user/additionalGids: 65537 groups are more than the kernel lets a process have (65536)']);
    expect(collectProblems((report) => compileUser({ uid: 0, gid: 0, additionalGids: [...many.slice(0, 65536), 0] }, report))).toEqual([]);
    const setUser = compilePlan(planInput((s) => (s.process!.user = { uid: 1, gid: 1, additionalGids: many.slice(0, 12) }))).ops.find((o) => o.name === 'set-user');
    expect(setUser?.what).toBe('become uid 1, gid 1, groups [0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 2 more]');
  });
});
