import { describe, expect, it } from 'vitest';

import { features } from '../../src/features.js';
import { parseMountOptions } from '../../src/plan/mount-options.js';
import { validateFeatures } from '../../src/spec/validate.js';

describe('features', () => {
  it('matches the features schema', () => {
    expect(validateFeatures(features())).toEqual([]);
  });

  it('lists only mount options the compiler turns into flags, not filesystem data', () => {
    for (const option of features().mountOptions!) expect(parseMountOptions([option]).data).toEqual([]);
  });

  it('lists the namespaces keel creates', () => {
    expect(features().linux!.namespaces).toEqual(['cgroup', 'ipc', 'mount', 'network', 'pid', 'time', 'user', 'uts']);
  });
});
