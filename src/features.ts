/**
 * `keel features` (runtime-spec features.md): what this keel can do, derived from the same tables
 * the compiler uses, so the answer cannot drift from what keel actually carries out.
 */
import { CAPABILITIES } from './plan/capabilities.js';
import { knownMountOptions } from './plan/mount-options.js';
import { CLONE_FLAGS } from './plan/namespaces.js';
import type { Features } from './spec/types.js';
import { OLDEST_SPEC_VERSION, SPEC_VERSION } from './spec/version.js';

export function features(): Features {
  return {
    ociVersionMin: OLDEST_SPEC_VERSION,
    ociVersionMax: SPEC_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: (Object.keys(CLONE_FLAGS) as (keyof typeof CLONE_FLAGS)[]).sort(),
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {},
  };
}
