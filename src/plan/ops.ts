import { formatLimit } from './rlimits.js';

/**
 * The primitive operations keel-init carries out, one builder each. Keep the codes and field
 * order in step with native/include/keel-plan.h (test/unit/native-contract.test.ts compares the
 * codes). Every op carries `what`: the words keel uses when the op fails ("mount proc on /proc:
 * permission denied") and when it explains a plan.
 */
export const OpCode = {
  SETNS: 1,
  UNSHARE: 2,
  SYNC: 3,
  FORK_INIT: 4,
  SET_IDS: 5,
  PREPARE_ROOTFS: 10,
  MOUNT: 11,
  MKNOD: 12,
  SYMLINK: 13,
  MKDIR: 14,
  PIVOT_ROOT: 15,
  CHROOT: 16,
  REMOUNT: 17,
  SET_PROPAGATION: 18,
  MASK_PATH: 19,
  READONLY_PATH: 20,
  SETHOSTNAME: 21,
  SETDOMAINNAME: 22,
  WRITE_FILE: 23,
  SETRLIMIT: 24,
  UMASK: 25,
  CHDIR: 26,
  SET_USER: 27,
  CAPS: 28,
  NO_NEW_PRIVS: 29,
  SECCOMP: 30,
  RESOLVE_EXEC: 31,
  WAIT_START: 32,
  EXEC: 33,
  SETSID: 34,
  BOUNDING_SET: 35,
  NOT_DUMPABLE: 36,
  CONSOLE: 37,
  RUN_HOOK: 38,
  SCHEDULER: 39,
  IOPRIO: 40,
  PERSONALITY: 41,
  PREPARE_EXEC: 42,
  // 50 on: the ops of issue #16.
  SESSION_KEYRING: 50,
  MOUNT_SETATTR: 51,
  IDMAP_PREPARE: 52,
  MOUNT_IDMAPPED: 53,
  CPU_AFFINITY: 54,
  MEMORY_POLICY: 55,
  NETLINK_HOST: 56,
  NET_DEVICE: 57,
  LOOPBACK_UP: 58,
  REOPEN_DEV_NULL: 59,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

export const SyncTag = {
  CGROUP: 1,
  ID_MAPS: 2,
  CREATE_RUNTIME_HOOKS: 3,
  CREATE_CONTAINER_HOOKS: 4,
  SECCOMP_LISTENER: 5,
} as const;
export type SyncTag = (typeof SyncTag)[keyof typeof SyncTag];

export const CreateAs = { DIR: 0, FILE: 1 } as const;

/** What keel-init checks of a mount's destination once resolved in the root (keel_mount_check). */
export const MountCheck = { NOT_ON_PROCFS: 1, NO_SYMLINKS: 2 } as const;

export interface PlanOp {
  readonly code: OpCode;
  /** Short name for tools (`keel explain --format json`). */
  readonly name: string;
  /** What the op does, in words. */
  readonly what: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly ints: readonly bigint[];
  readonly strs: readonly (string | Uint8Array)[];
}

function op(
  code: OpCode,
  name: string,
  what: string,
  args: Record<string, unknown>,
  ints: (number | bigint)[] = [],
  strs: (string | Uint8Array)[] = [],
): PlanOp {
  return { code, name, what, args, ints: ints.map((i) => BigInt(i)), strs };
}

const q = JSON.stringify;

/** A long list cut short, so that a failed op still reads as one line ("0, 1, ... and 69990 more"). */
function listed(items: readonly number[], most = 10): string {
  return items.length <= most ? items.join(', ') : `${items.slice(0, most).join(', ')} and ${items.length - most} more`;
}

export const ops = {
  setns: (type: string, nstype: number, path: string) =>
    op(OpCode.SETNS, 'setns', `join the ${type} namespace at ${q(path)}`, { type, path }, [nstype], [path]),

  unshare: (types: string[], flags: number) =>
    op(OpCode.UNSHARE, 'unshare', `create new ${types.join(', ')} namespace${types.length > 1 ? 's' : ''}`, { types }, [flags]),

  sync: (tag: SyncTag, what: string) => op(OpCode.SYNC, 'sync', what, { tag }, [tag]),

  forkInit: (newPidNs: boolean) =>
    op(OpCode.FORK_INIT, 'fork-init', newPidNs ? 'start the container init as PID 1 of the new PID namespace' : 'start the container init', {}),

  setIds: (uid: number, gid: number) =>
    op(OpCode.SET_IDS, 'set-ids', `become uid ${uid}, gid ${gid} in the new user namespace`, { uid, gid }, [uid, gid]),

  prepareRootfs: (rootfs: string, propagation: number, propagationName: string) =>
    op(OpCode.PREPARE_ROOTFS, 'prepare-rootfs', `make mounts ${propagationName} and bind the root ${q(rootfs)} onto itself`, { rootfs, propagation: propagationName }, [propagation], [rootfs]),

  mount: (m: {
    source: string;
    destination: string;
    type: string;
    data: string;
    flags: number;
    propagation: number;
    remountFlags: number;
    /** Bind mounts: the source's flags the remount drops (see ParsedMountOptions.cleared). */
    remountClear?: number;
    createAs: number;
    /** MountCheck bits. */
    checks?: number;
    options: string[];
    copyUp?: boolean;
  }) =>
    op(
      OpCode.MOUNT,
      'mount',
      `mount ${m.type || 'bind'} ${q(m.source)} on ${q(m.destination)}${m.options.length ? ` (${m.options.join(',')})` : ''}`,
      { source: m.source, destination: m.destination, type: m.type, options: m.options, data: m.data },
      [m.flags, m.propagation, m.remountFlags, m.createAs, m.copyUp ? 1 : 0, m.remountClear ?? 0, m.checks ?? 0],
      [m.source, m.destination, m.type, m.data],
    ),

  /** The recursive mount options (rro, rnosuid, ...): `options` as the config named them. */
  mountSetattr: (path: string, set: number, clear: number, options: string[]) =>
    op(OpCode.MOUNT_SETATTR, 'mount-setattr', `apply ${options.join(',')} to ${q(path)} and every mount below it`, { path, options }, [set, clear], [path]),

  idmapPrepare: (m: { slot: number; source: string; destination: string; uidMap: string; gidMap: string; recursion: number; attrSet: number; attrClear: number }) =>
    op(
      OpCode.IDMAP_PREPARE,
      'idmap-prepare',
      `make an id-mapped copy of ${q(m.source)} for ${q(m.destination)} (uids ${m.uidMap.trim().replace(/\n/g, '; ')}; gids ${m.gidMap.trim().replace(/\n/g, '; ')})`,
      { source: m.source, destination: m.destination, uidMap: m.uidMap, gidMap: m.gidMap, recursive: m.recursion !== 0 },
      [m.slot, m.recursion, m.attrSet, m.attrClear],
      [m.source, m.uidMap, m.gidMap],
    ),

  mountIdmapped: (m: { slot: number; source: string; destination: string; createAs: number; checks: number; propagation: number; options: string[] }) =>
    op(
      OpCode.MOUNT_IDMAPPED,
      'mount-idmapped',
      `mount the id-mapped copy of ${q(m.source)} on ${q(m.destination)}${m.options.length ? ` (${m.options.join(',')})` : ''}`,
      { source: m.source, destination: m.destination, options: m.options },
      [m.slot, m.createAs, m.checks, m.propagation],
      [m.destination],
    ),

  mknod: (path: string, type: string, mode: number, major: number, minor: number, uid: number, gid: number) =>
    op(OpCode.MKNOD, 'mknod', `create device ${q(path)} (${type} ${major}:${minor}, mode ${(mode & 0o7777).toString(8).padStart(4, '0')}, owner ${uid}:${gid})`, { path, type, major, minor, mode: mode & 0o7777, uid, gid }, [mode, major, minor, uid, gid], [path]),

  symlink: (target: string, path: string) =>
    op(OpCode.SYMLINK, 'symlink', `link ${q(path)} to ${q(target)}`, { path, target }, [], [target, path]),

  mkdir: (path: string, why: string) => op(OpCode.MKDIR, 'mkdir', `create directory ${q(path)} (${why})`, { path }, [], [path]),

  pivotRoot: () => op(OpCode.PIVOT_ROOT, 'pivot-root', 'pivot_root into the container root and detach the host root', {}),

  reopenDevNull: () =>
    op(OpCode.REOPEN_DEV_NULL, 'reopen-dev-null', "replace the stdio that is the host's /dev/null with the container's /dev/null", {}),

  chroot: () => op(OpCode.CHROOT, 'chroot', 'move the root to / and chroot into it (the root is on ramfs, where pivot_root cannot work)', {}),

  remount: (path: string, flags: number, flagNames: string[]) =>
    op(OpCode.REMOUNT, 'remount', `remount ${q(path)} ${flagNames.join(',')}`, { path, flags: flagNames }, [flags], [path]),

  setPropagation: (path: string, flags: number, name: string) =>
    op(OpCode.SET_PROPAGATION, 'set-propagation', `make ${q(path)} ${name}`, { path, propagation: name }, [flags], [path]),

  maskPath: (path: string) => op(OpCode.MASK_PATH, 'mask', `mask ${q(path)}`, { path }, [], [path]),

  readonlyPath: (path: string) => op(OpCode.READONLY_PATH, 'readonly', `make ${q(path)} read-only`, { path }, [], [path]),

  sethostname: (name: string) => op(OpCode.SETHOSTNAME, 'sethostname', `set the hostname to ${q(name)}`, { name }, [], [name]),

  setdomainname: (name: string) => op(OpCode.SETDOMAINNAME, 'setdomainname', `set the domain name to ${q(name)}`, { name }, [], [name]),

  writeFile: (path: string, content: string, why: string) =>
    op(OpCode.WRITE_FILE, 'write-file', `write ${q(content)} to ${q(path)} (${why})`, { path, content }, [], [path, content]),

  setrlimit: (name: string, resource: number, soft: bigint, hard: bigint) =>
    op(OpCode.SETRLIMIT, 'setrlimit', `set ${name} to soft ${formatLimit(soft)}, hard ${formatLimit(hard)}`, { name, soft: String(soft), hard: String(hard) }, [resource, soft, hard]),

  umask: (mask: number) => op(OpCode.UMASK, 'umask', `set the umask to ${mask.toString(8).padStart(4, '0')}`, { umask: mask }, [mask]),

  /**
   * The working directory is entered twice over, as runc does: first while keel-init is still
   * root (so a directory only root may enter works: runc runs there), then, only if root was
   * refused (root squashed on NFS, an unmapped owner in a user namespace), again as the user.
   */
  chdirAsRoot: (path: string) =>
    op(OpCode.CHDIR, 'chdir-as-root', `change directory to ${q(path)}`, { path }, [1], [path]),

  chdir: (path: string) =>
    op(OpCode.CHDIR, 'chdir', `change directory to ${q(path)} as the user (where root was refused)`, { path }, [0], [path]),

  setsid: () => op(OpCode.SETSID, 'setsid', 'start a new session', {}),

  setUser: (uid: number, gid: number, groups: number[] | undefined) =>
    op(
      OpCode.SET_USER,
      'set-user',
      `become uid ${uid}, gid ${gid}, ${groups?.length ? `groups [${listed(groups)}]` : 'no supplementary groups'}`,
      { uid, gid, additionalGids: groups ?? null },
      [uid, gid, groups ? 1 : 0, ...(groups ?? [])],
    ),

  boundingSet: (keep: bigint, names: string[]) =>
    op(OpCode.BOUNDING_SET, 'bounding-set', `limit the capability bounding set to [${names.join(', ')}]`, { keep: names }, [keep]),

  caps: (sets: { effective: bigint; permitted: bigint; inheritable: bigint; ambient: bigint }, names: Record<string, string[]>) =>
    op(
      OpCode.CAPS,
      'capabilities',
      `set capabilities: ${Object.entries(names).map(([set, caps]) => `${set} [${caps.join(', ')}]`).join('; ')}`,
      names,
      [sets.effective, sets.permitted, sets.inheritable, sets.ambient],
    ),

  noNewPrivs: () => op(OpCode.NO_NEW_PRIVS, 'no-new-privileges', 'set no_new_privs', {}),

  console: (socketFd: number, rows: number, cols: number) =>
    op(OpCode.CONSOLE, 'console', `open a terminal in the container, send it to the console socket${rows && cols ? ` (${cols}x${rows})` : ''} and make it the controlling terminal`, { rows, cols }, [socketFd, rows, cols]),

  /** `state` is the state JSON without a pid: keel-init adds its own (as the hook sees it) before the closing brace. */
  runHook: (kind: string, index: number, hook: { path: string; args?: string[]; env?: string[]; timeout: number }, state: string) => {
    const args = hook.args ?? [hook.path];
    const env = hook.env ?? [];
    return op(OpCode.RUN_HOOK, 'hook', `run ${kind} hook ${index} ${q(hook.path)} inside the container`, { kind, path: hook.path, args, env, timeout: hook.timeout }, [args.length, env.length, hook.timeout], [hook.path, ...args, ...env, state]);
  },

  scheduler: (policyName: string, s: { policy: number; flags: number; nice: number; priority: number; runtime: bigint; deadline: bigint; period: bigint }) =>
    op(
      OpCode.SCHEDULER,
      'scheduler',
      `set the scheduling policy to ${policyName} (nice ${s.nice}, priority ${s.priority}${s.runtime ? `, runtime ${s.runtime} ns, deadline ${s.deadline} ns, period ${s.period} ns` : ''})`,
      { policy: policyName, nice: s.nice, priority: s.priority, flags: s.flags, runtime: String(s.runtime), deadline: String(s.deadline), period: String(s.period) },
      [s.policy, s.flags, s.nice, s.priority, s.runtime, s.deadline, s.period],
    ),

  ioPriority: (className: string, priority: number, value: number) =>
    op(OpCode.IOPRIO, 'io-priority', `set the I/O priority to ${className} level ${priority}`, { class: className, priority }, [value]),

  personality: (domainName: string, value: number) =>
    op(OpCode.PERSONALITY, 'personality', `set the personality to ${domainName}`, { domain: domainName }, [value]),

  /** `searchBits`: what runc adds to the new keyring's permissions (0 when joining an existing one). */
  sessionKeyring: (name: string, searchBits: number) =>
    op(
      OpCode.SESSION_KEYRING,
      'session-keyring',
      searchBits ? `join a new session keyring ${q(name)}, so that the caller's keys stay out of reach` : `join the container's session keyring ${q(name)}`,
      { name },
      [searchBits],
      [name],
    ),

  cpuAffinity: (when: 'initial' | 'final', cpus: number[]) =>
    op(
      OpCode.CPU_AFFINITY,
      'cpu-affinity',
      `run on CPUs ${listed(cpus)} (process.execCPUAffinity.${when}: ${when === 'initial' ? "until the process is in the container's cgroup" : "in the container's cgroup"})`,
      { when, cpus },
      cpus,
    ),

  memoryPolicy: (modeName: string, flagNames: string[], value: number, nodes: number[]) =>
    op(
      OpCode.MEMORY_POLICY,
      'memory-policy',
      `set the NUMA memory policy to ${[modeName, ...flagNames].join('|')}${nodes.length ? ` on node${nodes.length > 1 ? 's' : ''} ${listed(nodes)}` : ''} (linux.memoryPolicy)`,
      { mode: modeName, flags: flagNames, nodes },
      [value, ...nodes],
    ),

  netlinkHost: () => op(OpCode.NETLINK_HOST, 'netlink-host', "open a netlink socket in the host's network namespace, to move the network devices with", {}),

  netDevice: (hostName: string, name: string, last: boolean) =>
    op(
      OpCode.NET_DEVICE,
      'net-device',
      `move the host's network interface ${q(hostName)} into the container's network namespace${name !== hostName ? ` as ${q(name)}` : ''}, with its permanent global addresses, and set it up`,
      { hostName, name },
      [last ? 1 : 0],
      [hostName, name],
    ),

  loopbackUp: () => op(OpCode.LOOPBACK_UP, 'loopback-up', 'set the loopback interface "lo" of the new network namespace up', {}),

  notDumpable: () => op(OpCode.NOT_DUMPABLE, 'not-dumpable', 'make the process non-dumpable, so nothing in the container can reach it through /proc', {}),

  seccomp: (program: Uint8Array, flags: number, summary: string, listener: boolean) =>
    op(
      OpCode.SECCOMP,
      'seccomp',
      `install the seccomp filter (${summary})${listener ? ' and hand its notify fd to keel for the seccomp agent' : ''}`,
      { instructions: program.length / 8, flags, listener },
      [flags, listener ? 1 : 0],
      [program],
    ),

  resolveExec: (argv0: string, searchPath: string) =>
    op(OpCode.RESOLVE_EXEC, 'resolve-exec', `find the executable ${q(argv0)}`, { argv0, path: searchPath }, [], [argv0, searchPath]),

  waitStart: (fifoFd: number) => op(OpCode.WAIT_START, 'wait-start', 'wait for `keel start`', {}, [fifoFd]),

  /** Marks every fd from `firstClosedFd` on close-on-exec and tells keel that execve is near. */
  prepareExec: (firstClosedFd: number) =>
    op(OpCode.PREPARE_EXEC, 'prepare-exec', `mark every fd from ${firstClosedFd} on close-on-exec, so that only the container's reach the program`, { firstClosedFd }, [firstClosedFd]),

  exec: (args: string[], env: string[]) =>
    op(OpCode.EXEC, 'exec', `exec ${q(args[0])} with arguments ${q(args)}`, { args, env }, [args.length, env.length], [...args, ...env]),
};
