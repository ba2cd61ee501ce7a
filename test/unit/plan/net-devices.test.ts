import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { planInput } from '../../helpers/plan.js';
import { collectProblems } from '../../helpers/problems.js';

describe('linux.netDevices', () => {
  it('opens the host netlink socket before any namespace and moves each device once the network namespace exists', () => {
    const plan = compilePlan(planInput((s) => (s.linux!.netDevices = { eth9: { name: 'c0' }, eth8: {} })));
    const names = plan.ops.map((o) => o.name);
    expect(names.indexOf('netlink-host')).toBeLessThan(names.indexOf('unshare'));
    const moves = plan.ops.filter((o) => o.name === 'net-device');
    expect(moves.map((o) => o.strs)).toEqual([['eth9', 'c0'], ['eth8', 'eth8']]);
    expect(names.indexOf('net-device')).toBeGreaterThan(names.lastIndexOf('unshare'));
    expect(names.indexOf('net-device')).toBeLessThan(names.indexOf('fork-init'));
  });

  it("refuses the host's own network namespace joined by path", () => {
    const problems = collectProblems((report) =>
      compilePlan({
        ...planInput((s) => {
          s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network').concat({ type: 'network', path: '/proc/1/ns/net' });
          s.linux!.netDevices = { eth9: {} };
        }, { kindOf: () => 'file', isKeelNamespace: () => true }),
        report,
      }),
    );
    expect(problems).toEqual([expect.stringMatching(/^\/linux\/netDevices: moving network devices needs a network namespace of the container's own/)]);
  });
});
