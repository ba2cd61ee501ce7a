import { describe, expect, it } from 'vitest';

import { features as featuresOf, kernelAtLeast } from '../../src/features.js';
import { parseMountOptions } from '../../src/plan/mount-options.js';
import { validateFeatures } from '../../src/spec/validate.js';

const features = () => featuresOf({ lsm: { apparmor: false, selinux: false }, idmapMounts: true });

describe('features', () => {
  it('reports AppArmor, SELinux and id-mapped mounts as the host has them', () => {
    const on = featuresOf({ lsm: { apparmor: true, selinux: false }, idmapMounts: false }).linux!;
    expect([on.apparmor, on.selinux, on.mountExtensions]).toEqual([{ enabled: true }, { enabled: false }, { idmap: { enabled: false } }]);
    expect([kernelAtLeast('6.18.44-fc-v1300', 5, 12), kernelAtLeast('5.12.0', 5, 12), kernelAtLeast('5.11.9', 5, 12), kernelAtLeast('4.19.0', 5, 12)]).toEqual([true, true, false, false]);
  });

  it('claims netDevices and every memory policy mode and flag the compiler knows, and Intel RDT where resctrl is mounted', () => {
    const linux = features().linux!;
    expect(linux.netDevices).toEqual({ enabled: true });
    expect(linux.memoryPolicy!.modes).toHaveLength(7);
    expect(linux.memoryPolicy!.flags).toEqual(expect.arrayContaining(['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES']));
    expect(linux.intelRdt).toEqual({ enabled: false });
    expect(featuresOf({ lsm: { apparmor: false, selinux: false }, idmapMounts: true, resctrl: true }).linux!.intelRdt).toEqual({ enabled: true, schemata: true, monitoring: true });
  });

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
