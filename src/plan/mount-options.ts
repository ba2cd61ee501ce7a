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
  LAZYTIME: 1 << 25,
  NOSYMFOLLOW: 256,
} as const;

/** mount_setattr(2)'s attributes (linux/mount.h). The access-time ones are one mode, not bits. */
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MODE: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  IDMAP: 0x100000,
  NOSYMFOLLOW: 0x200000,
} as const;

/**
 * The recursive options (config.md: "AT_RECURSIVE options"), option -> [attributes to set, to
 * clear], applied with mount_setattr(AT_RECURSIVE) to the mount and every mount below it. An
 * access-time option picks the mode (the kernel takes a mode only with the whole mode field
 * cleared): ratime and rnostrictatime mean the kernel's default, relatime; rnorelatime strictatime.
 */
const RECURSIVE_OPTIONS: Record<string, [number, number]> = {
  rro: [MOUNT_ATTR.RDONLY, 0],
  rrw: [0, MOUNT_ATTR.RDONLY],
  rnosuid: [MOUNT_ATTR.NOSUID, 0],
  rsuid: [0, MOUNT_ATTR.NOSUID],
  rnodev: [MOUNT_ATTR.NODEV, 0],
  rdev: [0, MOUNT_ATTR.NODEV],
  rnoexec: [MOUNT_ATTR.NOEXEC, 0],
  rexec: [0, MOUNT_ATTR.NOEXEC],
  rnodiratime: [MOUNT_ATTR.NODIRATIME, 0],
  rdiratime: [0, MOUNT_ATTR.NODIRATIME],
  rnosymfollow: [MOUNT_ATTR.NOSYMFOLLOW, 0],
  rsymfollow: [0, MOUNT_ATTR.NOSYMFOLLOW],
  rnoatime: [MOUNT_ATTR.NOATIME, MOUNT_ATTR.ATIME_MODE],
  rstrictatime: [MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MODE],
  rrelatime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MODE],
  ratime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MODE],
  rnorelatime: [MOUNT_ATTR.STRICTATIME, MOUNT_ATTR.ATIME_MODE],
  rnostrictatime: [MOUNT_ATTR.RELATIME, MOUNT_ATTR.ATIME_MODE],
};

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
  lazytime: [MS.LAZYTIME, 0],
  nolazytime: [0, MS.LAZYTIME],
  nosymfollow: [MS.NOSYMFOLLOW, 0],
  symfollow: [0, MS.NOSYMFOLLOW],
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

/**
 * Every mount option keel carries out, for `keel features`. "remount" is taken, as runc takes it,
 * but it changes a mount already at the destination rather than make one: a config mount with it
 * fails on a fresh destination, so keel does not claim it.
 */
export function knownMountOptions(): string[] {
  return [...Object.keys(FLAG_OPTIONS).filter((o) => o !== 'remount'), ...Object.keys(PROPAGATION_OPTIONS), ...Object.keys(RECURSIVE_OPTIONS), ...IDMAP_OPTIONS, 'tmpcopyup'].sort();
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
  /** idmap, ridmap: the mount is id-mapped (planIdmappedMounts); never mount(2)'s data. */
  idmap: string[];
  /** tmpcopyup (runc's): a new tmpfs starts with the contents of the directory it covers. */
  copyUp: boolean;
  /** The recursive options: MOUNT_ATTR_* to set and clear on the mount and every mount below it. */
  recursive: { set: number; clear: number; options: string[] };
}

const IDMAP_OPTIONS = new Set(['idmap', 'ridmap']);

export function parseMountOptions(options: readonly string[] = []): ParsedMountOptions {
  const parsed: ParsedMountOptions = { flags: 0, cleared: 0, propagation: 0, data: [], idmap: [], copyUp: false, recursive: { set: 0, clear: 0, options: [] } };
  for (const option of options) {
    const flag = FLAG_OPTIONS[option];
    const recursive = RECURSIVE_OPTIONS[option];
    if (recursive) {
      // Later options win, as with the plain ones: an attribute set is no longer cleared, and so on.
      const r = parsed.recursive;
      r.set = (r.set & ~recursive[1]) | recursive[0];
      r.clear = (r.clear & ~recursive[0]) | recursive[1];
      r.options.push(option);
    } else if (option === 'tmpcopyup') {
      parsed.copyUp = true;
    } else if (flag) {
      parsed.flags = (parsed.flags | flag[0]) & ~flag[1];
      parsed.cleared = (parsed.cleared | flag[1] | (ATIME_OPTIONS.has(option) ? ATIME_MODE : 0)) & ~flag[0];
    } else if (option in PROPAGATION_OPTIONS) {
      parsed.propagation |= PROPAGATION_OPTIONS[option]!;
    } else if (IDMAP_OPTIONS.has(option)) {
      parsed.idmap.push(option);
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
  [MS.NOSYMFOLLOW, 'nosymfollow'],
];

export function flagNames(flags: number): string[] {
  return FLAG_NAMES.filter(([bit]) => flags & bit).map(([, name]) => name);
}

export function propagationName(flags: number): string {
  const entry = Object.entries(PROPAGATION_OPTIONS).find(([, value]) => value === flags);
  return entry ? entry[0] : 'unchanged';
}
