/** mount(2) flags, and how the runtime-spec's mount options map onto them. */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 1 << 15,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
} as const;

/** option -> [flags to set, flags to clear] */
const FLAG_OPTIONS: Record<string, [number, number]> = {
  async: [0, MS.SYNCHRONOUS],
  atime: [0, MS.NOATIME],
  bind: [MS.BIND, 0],
  defaults: [0, 0],
  dev: [0, MS.NODEV],
  diratime: [0, MS.NODIRATIME],
  dirsync: [MS.DIRSYNC, 0],
  exec: [0, MS.NOEXEC],
  iversion: [MS.I_VERSION, 0],
  loud: [0, MS.SILENT],
  mand: [MS.MANDLOCK, 0],
  noatime: [MS.NOATIME, 0],
  nodev: [MS.NODEV, 0],
  nodiratime: [MS.NODIRATIME, 0],
  noexec: [MS.NOEXEC, 0],
  noiversion: [0, MS.I_VERSION],
  nomand: [0, MS.MANDLOCK],
  norelatime: [0, MS.RELATIME],
  nostrictatime: [0, MS.STRICTATIME],
  nosuid: [MS.NOSUID, 0],
  rbind: [MS.BIND | MS.REC, 0],
  relatime: [MS.RELATIME, 0],
  remount: [MS.REMOUNT, 0],
  ro: [MS.RDONLY, 0],
  rw: [0, MS.RDONLY],
  silent: [MS.SILENT, 0],
  strictatime: [MS.STRICTATIME, 0],
  suid: [0, MS.NOSUID],
  sync: [MS.SYNCHRONOUS, 0],
};

export const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Every mount option keel carries out, for `keel features`. */
export function knownMountOptions(): string[] {
  return [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS), 'tmpcopyup'].sort();
}

/** The access-time options pick one mode among these flags: naming any of them replaces the mode. */
const ATIME_MODE = MS.NOATIME | MS.RELATIME | MS.STRICTATIME;
const ATIME_OPTIONS = new Set(['atime', 'noatime', 'relatime', 'norelatime', 'strictatime', 'nostrictatime']);

export interface ParsedMountOptions {
  flags: number;
  /**
   * The flags the options turn off (exec, suid, dev, the access-time mode, rw...). A bind mount
   * starts with its source's flags, and keeps those the options do not turn off.
   */
  cleared: number;
  propagation: number;
  /** Options the kernel does not know as flags go to the filesystem as its data string. */
  data: string[];
  /** Options keel recognises but does not carry out yet (reported, not silently dropped). */
  unsupported: string[];
  /** tmpcopyup (runc's): a new tmpfs starts with the contents of the directory it covers. */
  copyUp: boolean;
}

const UNSUPPORTED = new Set(['idmap', 'ridmap', 'rro', 'rrw', 'rnosuid', 'rsuid', 'rnodev', 'rdev', 'rnoexec', 'rexec', 'rnoatime', 'ratime', 'rrelatime', 'rnorelatime', 'rstrictatime', 'rnostrictatime', 'rnodiratime', 'rdiratime', 'rnosymfollow', 'rsymfollow', 'nosymfollow', 'symfollow']);

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const parsed: ParsedMountOptions = { flags: 0, cleared: 0, propagation: 0, data: [], unsupported: [], copyUp: false };
  for (const option of options) {
    const flag = FLAG_OPTIONS[option];
    if (option === 'tmpcopyup') {
      parsed.copyUp = true;
    } else if (flag) {
      parsed.flags = (parsed.flags | flag[0]) & ~flag[1];
      parsed.cleared = (parsed.cleared | flag[1] | (ATIME_OPTIONS.has(option) ? ATIME_MODE : 0)) & ~flag[0];
    } else if (option in PROPAGATION_OPTIONS) {
      parsed.propagation |= PROPAGATION_OPTIONS[option]!;
    } else if (UNSUPPORTED.has(option)) {
      parsed.unsupported.push(option);
    } else {
      parsed.data.push(option);
    }
  }
  return parsed;
}

const FLAG_NAMES: [number, string][] = [
  [MS.RDONLY, 'ro'],
  [MS.NOSUID, 'nosuid'],
  [MS.NODEV, 'nodev'],
  [MS.NOEXEC, 'noexec'],
  [MS.SYNCHRONOUS, 'sync'],
  [MS.DIRSYNC, 'dirsync'],
  [MS.NOATIME, 'noatime'],
  [MS.NODIRATIME, 'nodiratime'],
  [MS.RELATIME, 'relatime'],
  [MS.STRICTATIME, 'strictatime'],
];

export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
}

export function propagationName(flags: number): string {
  const entry = Object.entries(PROPAGATION_OPTIONS).find(([, value]) => value === flags);
  return entry ? entry[0] : 'unchanged';
}
