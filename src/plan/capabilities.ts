import type { LinuxCapabilities } from '../spec/types.js';

/** Capability numbers from linux/capability.h. */
export const CAPABILITIES: Record<string, number> = {
  CAP_CHOWN: 0,
  CAP_DAC_OVERRIDE: 1,
  CAP_DAC_READ_SEARCH: 2,
  CAP_FOWNER: 3,
  CAP_FSETID: 4,
  CAP_KILL: 5,
  CAP_SETGID: 6,
  CAP_SETUID: 7,
  CAP_SETPCAP: 8,
  CAP_LINUX_IMMUTABLE: 9,
  CAP_NET_BIND_SERVICE: 10,
  CAP_NET_BROADCAST: 11,
  CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13,
  CAP_IPC_LOCK: 14,
  CAP_IPC_OWNER: 15,
  CAP_SYS_MODULE: 16,
  CAP_SYS_RAWIO: 17,
  CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19,
  CAP_SYS_PACCT: 20,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_BOOT: 22,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25,
  CAP_SYS_TTY_CONFIG: 26,
  CAP_MKNOD: 27,
  CAP_LEASE: 28,
  CAP_AUDIT_WRITE: 29,
  CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31,
  CAP_MAC_OVERRIDE: 32,
  CAP_MAC_ADMIN: 33,
  CAP_SYSLOG: 34,
  CAP_WAKE_ALARM: 35,
  CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
  CAP_CHECKPOINT_RESTORE: 40,
};

export type CapabilitySet = 'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient';
const SETS: CapabilitySet[] = ['bounding', 'effective', 'permitted', 'inheritable', 'ambient'];

export interface CompiledCapabilities {
  masks: Partial<Record<CapabilitySet, bigint>>;
  names: Partial<Record<CapabilitySet, string[]>>;
  /** Names this keel does not know: skipped with a warning, as runc does, so newer configs run. */
  unknown: string[];
  /** Ambient capabilities the kernel would refuse (not both permitted and inheritable): left out, as runc does. */
  droppedAmbient: string[];
}

export function compileCapabilities(caps: LinuxCapabilities): CompiledCapabilities {
  const result: CompiledCapabilities = { masks: {}, names: {}, unknown: [], droppedAmbient: [] };
  for (const set of SETS) {
    const names = caps[set];
    if (!names) continue;
    let mask = 0n;
    const known: string[] = [];
    for (const name of names) {
      const bit = CAPABILITIES[name];
      if (bit === undefined) {
        if (!result.unknown.includes(name)) result.unknown.push(name);
        continue;
      }
      mask |= 1n << BigInt(bit);
      known.push(name);
    }
    result.masks[set] = mask;
    result.names[set] = known;
  }
  const ambient = result.names.ambient;
  if (ambient) {
    const allowed = (result.masks.permitted ?? 0n) & (result.masks.inheritable ?? 0n);
    result.names.ambient = ambient.filter((name) => allowed & (1n << BigInt(CAPABILITIES[name]!)));
    result.droppedAmbient = ambient.filter((name) => !result.names.ambient!.includes(name));
    result.masks.ambient = (result.masks.ambient ?? 0n) & allowed;
  }
  return result;
}
