import { describe, expect, it } from 'vitest';

import { cleanDevicePath, planDevices } from '../../../src/plan/devices.js';

describe('device paths', () => {
  it('are cleaned as Go cleans a path (runc joins them with SecureJoin)', () => {
    expect(['/dev/foo/', '/dev//foo', '/dev/./foo/', '/dev/sub/../foo', '/dev/foo'].map(cleanDevicePath)).toEqual(Array(5).fill('/dev/foo'));
  });

  it('make nodes at the clean path, and an entry replaces the default of the same clean path', () => {
    const plan = planDevices([{ path: '/dev/null/', type: 'c', major: 1, minor: 3, fileMode: 0o600 }], { setupDev: true, inUserNamespace: false });
    const nulls = plan.filter((op) => op.name === 'mknod' && JSON.stringify(op.args).includes('/dev/null'));
    expect(nulls.map((op) => op.args)).toEqual([expect.objectContaining({ path: '/dev/null', mode: 0o600 })]);
  });
});
