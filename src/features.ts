/**
 * `keel features` (runtime-spec features.md): what this keel can do, derived from the same tables
 * the compiler uses, so the answer cannot drift from what keel actually carries out.
 */
import { release } from 'node:os';

import { checkCriu } from './criu/check.js';
import { isResctrl } from './host/facts.js';
import { readLsmFacts } from './host/lsm.js';
import { RESCTRL_ROOT } from './plan/intel-rdt.js';
import { CAPABILITIES } from './plan/capabilities.js';
import { knownMountOptions } from './plan/mount-options.js';
import { FILTER_FLAGS } from './seccomp/compile.js';
import { CLONE_FLAGS } from './plan/namespaces.js';
import type { Features } from './spec/types.js';
import type { LsmFacts } from './plan/lsm.js';
import { MPOL_FLAGS, MPOL_MODES } from './plan/mempolicy.js';
import { OLDEST_SPEC_VERSION, SPEC_VERSION } from './spec/version.js';

/** What `keel features` reports of the host: the security modules it runs, and whether its kernel has id-mapped mounts. */
export interface FeatureFacts {
  lsm: Pick<LsmFacts, 'apparmor' | 'selinux'>;
  /** Linux 5.12 or later: mount_setattr and MOUNT_ATTR_IDMAP. */
  idmapMounts: boolean;
  /** /sys/fs/resctrl is mounted: keel applies linux.intelRdt (and refuses it where not). */
  resctrl?: boolean;
  /** `criu check` passes: keel checkpoint and restore can work here. */
  checkpoint?: boolean;
}

/** runc's annotation for CRIU-based checkpointing, which runc's features say other runtimes may use. */
export const CHECKPOINT_ANNOTATION = 'org.opencontainers.runc.checkpoint.enabled';

export function readFeatureFacts(criuBinary?: string): FeatureFacts {
  return { lsm: readLsmFacts(), idmapMounts: kernelAtLeast(release(), 5, 12), resctrl: isResctrl(RESCTRL_ROOT), checkpoint: checkCriu(criuBinary).ready };
}

/** Whether a kernel release ("6.18.44-fc") is at least major.minor. */
export function kernelAtLeast(release: string, major: number, minor: number): boolean {
  const [a = 0, b = 0] = release.split(/[.-]/).map(Number);
  return a > major || (a === major && b >= minor);
}

export function features(host: FeatureFacts): Features {
  return {
    ociVersionMin: OLDEST_SPEC_VERSION,
    ociVersionMax: SPEC_VERSION,
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: knownMountOptions(),
    linux: {
      namespaces: (Object.keys(CLONE_FLAGS) as (keyof typeof CLONE_FLAGS)[]).sort(),
      capabilities: Object.keys(CAPABILITIES),
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: ['SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW', 'SCMP_ACT_NOTIFY'],
        operators: ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'],
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32', 'SCMP_ARCH_AARCH64'],
        knownFlags: Object.keys(FILTER_FLAGS),
        supportedFlags: Object.keys(FILTER_FLAGS),
      },
      // Where the host lacks the module, keel refuses the fields (README): not enabled here.
      apparmor: { enabled: host.lsm.apparmor },
      selinux: { enabled: host.lsm.selinux },
      // Applied where resctrl is mounted, refused where it is not (config-linux.md's MUST).
      intelRdt: host.resctrl ? { enabled: true, schemata: true, monitoring: true } : { enabled: false },
      memoryPolicy: { modes: Object.keys(MPOL_MODES) as (keyof typeof MPOL_MODES)[], flags: Object.keys(MPOL_FLAGS) as (keyof typeof MPOL_FLAGS)[] },
      mountExtensions: { idmap: { enabled: host.idmapMounts } },
      netDevices: { enabled: true },
    },
    // Only where `criu check` passes (runc says "true" everywhere, even where CRIU cannot work).
    annotations: host.checkpoint ? { [CHECKPOINT_ANNOTATION]: 'true' } : {},
    // keel reads no annotation of config.json: none changes what it does.
    potentiallyUnsafeConfigAnnotations: [],
  };
}
