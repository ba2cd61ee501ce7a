/** How long keel waits for keel-init: a minute per message, plus the timeouts of the hooks keel-init runs before it is ready. */
import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { REPLY_BOUND_MS, replyBound } from '../../../src/container/sync-bounds.js';
import { planInput } from '../../helpers/plan.js';

const planWith = (hooks: Parameters<typeof planInput>[0]) => compilePlan(planInput(hooks)).ops;

describe('replyBound', () => {
  it('is a minute for a plan without hooks inside the container', () => {
    expect(REPLY_BOUND_MS).toBe(60_000);
    expect(replyBound(planWith(() => {}), {})).toBe(60_000);
  });

  it('adds the timeouts of createContainer hooks (keel-init runs them before it reports ready), not those of startContainer hooks', () => {
    const ops = planWith((s) => {
      s.hooks = {
        createContainer: [
          { path: '/bin/true', timeout: 5 },
          { path: '/bin/true', timeout: 7 },
        ],
        startContainer: [{ path: '/bin/true' }],
      };
    });
    expect(replyBound(ops, {})).toBe(60_000 + 12_000);
  });

  it('has no bound when a createContainer hook has no timeout: keel-init waits for it as long as it runs', () => {
    expect(replyBound(planWith((s) => (s.hooks = { createContainer: [{ path: '/bin/true' }] })), {})).toBeUndefined();
  });

  it('takes KEEL_TEST_REPLY_BOUND_MS in place of the minute (tests that hold a wait on purpose)', () => {
    expect(replyBound(planWith(() => {}), { KEEL_TEST_REPLY_BOUND_MS: '1500' })).toBe(1500);
    expect(replyBound(planWith(() => {}), { KEEL_TEST_REPLY_BOUND_MS: 'x' })).toBe(60_000);
  });
});
