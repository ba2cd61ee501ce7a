/**
 * `keel features` (runtime-spec features.md): what this keel can do, derived from the same tables
 * the compiler uses, so the answer cannot drift from what keel actually carries out.
 */
import { CAPABILITIES } from './plan/capabilities.js';
import { knownMountOptions } from './plan/mount-options.js';
import { FILTER_FLAGS } from './seccomp/compile.js';
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
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW', 'SCMP_ACT_NOTIFY'],
        operators: ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'],
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'],
        knownFlags: Object.keys(FILTER_FLAGS),
        supportedFlags: Object.keys(FILTER_FLAGS),
      },
      apparmor: { enabled: true },
      selinux: { enabled: true },
      intelRdt: { enabled: false },
      mountExtensions: { idmap: { enabled: false } },
    },
    annotations: {},
  };
}
