/**
 * The plan compiler: a validated spec and the facts of this host in, the ordered list of ops that
 * keel-init carries out. Pure: everything it needs to know about the host comes in `host`, so
 * every decision here is testable without root.
 */
import { hookState, hookTimeout } from '../hooks/state.js';
import { compileSeccomp } from '../seccomp/compile.js';
import type { LinuxMemoryPolicy, LinuxNamespaceType, LinuxPersonality, LinuxSeccomp, Spec } from '../spec/types.js';
import { compileAffinity } from './affinity.js';
import { compileMemoryPolicy } from './mempolicy.js';
import type { CgroupLayout } from '../cgroups/layout.js';
import { resourceWarnings } from '../cgroups/resources.js';
import { compileCapabilities } from './capabilities.js';
import { planDevices } from './devices.js';
import { MS, PROPAGATION_OPTIONS, propagationName } from './mount-options.js';
import { containerPath, planMount } from './mounts.js';
import { planIdmappedMounts, type IdmappedMount } from './idmap.js';
import { planNetDevices } from './net-devices.js';
import { closIdProblem } from './intel-rdt.js';
import { cloneFlags, planNamespaces, type NamespacePlan } from './namespaces.js';
import { ops, SyncTag, type PlanOp } from './ops.js';
import { throwProblem, type ReportProblem } from '../spec/problem.js';
import { compileRlimits } from './rlimits.js';
import { NO_LSM, planExecLabels, planMountLabel, type LsmFacts } from './lsm.js';
import { compileIoPriority, compilePersonality, compileScheduler } from './sched.js';
import { checkSysctl } from './sysctl.js';
import { compileUser } from './user.js';
import { dedupeEnv } from './env.js';
import { findNul, NUL_MESSAGE } from '../spec/nul.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface HostFacts {
  cgroups: CgroupLayout;
  /** The root filesystem is ramfs/rootfs, where pivot_root is impossible. */
  rootfsIsRamfs: boolean;
  kindOf: (path: string) => 'file' | 'dir' | undefined;
  /** The highest hard rlimit keel can grant, where it cannot raise its own (no CAP_SYS_RESOURCE). */
  rlimitCeiling: (name: string) => bigint | undefined;
  /** The security modules the host runs; none when absent. */
  lsm?: LsmFacts;
  /** The home directory of a uid in the container's /etc/passwd, for a process.env without HOME. */
  homeOf?: (uid: number) => string | undefined;
  /** Whether the namespace file at `path` is keel's own (the host's) namespace of that type. */
  isKeelNamespace?: (type: LinuxNamespaceType, path: string) => boolean;
  /** /sys/fs/resctrl is mounted (Intel RDT, AMD QoS). */
  resctrlMounted?: boolean;
  /** keel itself runs in a user namespace that is not the initial one (rootless podman runs it so): no mknod there either. */
  keelInUserNamespace?: boolean;
  /** The NUMA memory nodes this host has (/sys/devices/system/node/online), for linux.memoryPolicy. */
  memoryNodes?: readonly number[];
}

export interface CompileInput {
  /** The container id, for the state that in-container hooks read. */
  id: string;
  spec: Spec;
  bundle: string;
  /** Absolute path of the container's root filesystem on the host. */
  rootfs: string;
  /** The container's cgroup, relative to each hierarchy's root. */
  cgroupPath: string;
  /** Where the container has no cgroup of its own in a hierarchy: the one to bind there (MountContext). */
  cgroupMountPaths?: Readonly<Record<string, string>>;
  host: HostFacts;
  /** keel-init's own fds sit from here on, above the fds handed to the container. */
  fifoFd: number;
  /** The connected --console-socket, when process.terminal is true. */
  consoleFd?: number;
  preserveFds: number;
  /** Where faults in the config go; by default the first one throws a ConfigError. */
  report?: ReportProblem;
  /** --no-new-keyring: the container keeps the caller's session keyring. */
  noNewKeyring?: boolean;
}

export interface Plan {
  ops: PlanOp[];
  namespaces: NamespacePlan;
  /** Said to the user on stderr. */
  warnings: string[];
  /** Decisions worth knowing with --debug or `keel explain`, but not worth a warning. */
  notes: string[];
}

export function compilePlan(input: CompileInput): Plan {
  const { spec } = input;
  const report = input.report ?? throwProblem;
  const linux = spec.linux ?? {};
  if (!spec.process) report('/process', 'missing: keel needs a process to run');
  const namespaces = planNamespaces(linux.namespaces, report);
  if (!namespaces.has('mount')) {
    report('/linux/namespaces', 'keel needs a mount namespace (add {"type": "mount"}): without one, pivot_root would change the host');
  }
  if ((spec.hostname || spec.domainname) && !namespaces.has('uts')) {
    report('/hostname', 'setting a hostname needs a UTS namespace (add {"type": "uts"} to /linux/namespaces)');
  }
  (linux.namespaces ?? []).forEach((ns, i) => {
    if (ns.path && input.host.kindOf(ns.path) !== 'file') report(`/linux/namespaces/${i}/path`, `"${ns.path}" does not exist: no ${ns.type} namespace to join there`);
  });
  // config-linux.md: without a mounted resctrl, intelRdt MUST be an error. keel applies it at
  // the cgroup sync (container/resctrl.ts).
  if (linux.intelRdt && !input.host.resctrlMounted) report('/linux/intelRdt', 'this host has no resctrl file system (/sys/fs/resctrl is not mounted): remove the field, or mount resctrl');
  const closIdFault = linux.intelRdt?.closID !== undefined ? closIdProblem(linux.intelRdt.closID) : undefined;
  if (closIdFault) report('/linux/intelRdt/closID', closIdFault);
  const warnings: string[] = resourceWarnings(input.host.cgroups.mode, linux.resources ?? {});
  const notes: string[] = [];
  const idmapped = planIdmappedMounts(spec, input.bundle, report);
  const plan: PlanOp[] = [
    ...planNamespacePhase(input, namespaces, idmapped),
    ...planRootfs(input, namespaces, warnings, idmapped),
    ...planProcess(input, warnings, notes),
  ];
  return { ops: plan, namespaces, warnings, notes };
}

function planNamespacePhase({ spec, id, noNewKeyring, host, report = throwProblem }: CompileInput, ns: NamespacePlan, idmapped: ReadonlyMap<number, IdmappedMount>): PlanOp[] {
  const plan: PlanOp[] = [ops.sync(SyncTag.CGROUP, 'wait for keel to place the container in its cgroups')];
  // Id-mapped copies of bind sources while keel-init is the host's root in the host's namespaces:
  // it writes the maps of a user namespace for each, which the container's root could not.
  for (const [index, m] of idmapped) plan.push(ops.idmapPrepare({ ...m, destination: containerPath(spec.mounts![index]!.destination) }));
  const netDevices = planNetDevices(spec.linux?.netDevices, ns, host, report);
  plan.push(...netDevices.before);
  // The OOM score first, while keel-init is the host's root, as runc does: once it is root of a
  // user namespace its /proc/self files are out of its reach, and lowering the score takes
  // CAP_SYS_RESOURCE on the host. The container's init inherits it.
  if (spec.process?.oomScoreAdj !== undefined) plan.push(planOomScoreAdj(spec.process.oomScoreAdj));
  for (const { type, path } of ns.join) plan.push(ops.setns(type, cloneFlagsOf(type), path));
  if (ns.isNew('user')) {
    plan.push(
      ops.unshare(['user'], cloneFlags(['user'])),
      ops.sync(SyncTag.ID_MAPS, 'wait for keel to write the uid and gid mappings'),
    );
  }
  const others = ns.create.filter((t) => t !== 'user');
  if (others.length) plan.push(ops.unshare(others, cloneFlags(others)));
  // The network namespace exists now (made, or joined above). A new one gets its loopback up, as
  // runc's does (a joined one is left as its owner set it); then the devices move in.
  if (ns.isNew('network')) plan.push(ops.loopbackUp());
  plan.push(...netDevices.moves);
  const offsets = spec.linux?.timeOffsets;
  if (offsets && Object.keys(offsets).length) {
    if (!ns.isNew('time')) report('/linux/timeOffsets', 'time offsets need a new time namespace (add {"type": "time"})');
    const lines = Object.entries(offsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`);
    plan.push(ops.writeFile('/proc/self/timens_offsets', lines.join('\n'), 'time namespace offsets'));
  }
  // keel's uid 0 is not mapped in a new or joined user namespace: become that namespace's root.
  // Last, once the namespaces are made (they belong to the user namespace either way): the
  // change of euid makes the process non-dumpable, and its /proc/self files then belong to the
  // host's root, out of its reach; the time offsets above were refused (EACCES) after it.
  if (ns.isNew('user') || ns.join.some((j) => j.type === 'user')) plan.push(ops.setIds(0, 0));
  plan.push(ops.forkInit(ns.has('pid')));
  if (!noNewKeyring) plan.push(planSessionKeyring(id, ns.isNew('user') || ns.join.some((j) => j.type === 'user')));
  return plan;
}

/** KEY_OTHR_SEARCH, KEY_USR_SEARCH (linux/keyctl.h). */
const KEY_OTHR_SEARCH = 0x8;
const KEY_USR_SEARCH = 0x80000;

/** The name runc gives a container's session keyring, which `exec` joins too. */
export function sessionKeyringName(id: string): string {
  return `_ses.${id}`;
}

/**
 * A session keyring of the container's own, as runc and crun make: the container's processes must
 * not possess the caller's keys. As runc, it is made searchable by its owner, or by "other" in a
 * user namespace (whose root is not the keyring's owner as the kernel sees it).
 */
function planSessionKeyring(id: string, inUserNamespace: boolean): PlanOp {
  return ops.sessionKeyring(sessionKeyringName(id), inUserNamespace ? KEY_OTHR_SEARCH : KEY_USR_SEARCH);
}

/** process.oomScoreAdj; each plan places it where keel-init may still write its /proc/self files. */
export function planOomScoreAdj(score: number): PlanOp {
  return ops.writeFile('/proc/self/oom_score_adj', String(score), 'oomScoreAdj');
}

function cloneFlagsOf(type: Parameters<typeof cloneFlags>[0][number]): number {
  return cloneFlags([type]);
}

function planRootfs(input: CompileInput, ns: NamespacePlan, warnings: string[], idmapped: ReadonlyMap<number, IdmappedMount>): PlanOp[] {
  const { spec, rootfs, host } = input;
  const report = input.report ?? throwProblem;
  const linux = spec.linux ?? {};
  const mounts = spec.mounts ?? [];
  const propagation = linux.rootfsPropagation ? PROPAGATION_OPTIONS[linux.rootfsPropagation] : undefined;
  if (linux.rootfsPropagation && propagation === undefined) {
    report('/linux/rootfsPropagation', `unknown propagation "${linux.rootfsPropagation}" (use one of ${Object.keys(PROPAGATION_OPTIONS).join(', ')})`);
  }
  // Until the container's mounts are in place, nothing may propagate back to the host.
  const prepareFlags = MS.SLAVE | MS.REC;
  const plan: PlanOp[] = [ops.prepareRootfs(rootfs, prepareFlags, propagationName(prepareFlags))];

  const tmpfsContext = planMountLabel(linux.mountLabel, host.lsm ?? NO_LSM, report);
  const ctx = { bundle: input.bundle, cgroups: host.cgroups, cgroupPath: input.cgroupPath, cgroupMountPaths: input.cgroupMountPaths, cgroupNamespace: ns.has('cgroup'), kindOf: host.kindOf, report, tmpfsContext, idmapped };
  mounts.forEach((m, i) => plan.push(...planMount(m, i, ctx)));

  const devIsBound = mounts.some((m) => containerPath(m.destination) === '/dev' && (m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind')));
  plan.push(...planDevices(linux.devices ?? [], { setupDev: !devIsBound, inUserNamespace: ns.isNew('user') || ns.join.some((j) => j.type === 'user') || !!host.keelInUserNamespace }));

  // Hooks between the mounts and pivot_root: keel runs prestart and createRuntime in its own
  // namespaces at a sync point; createContainer ones run here, in the container's namespaces.
  const hooks = spec.hooks ?? {};
  if (hooks.prestart?.length || hooks.createRuntime?.length) {
    plan.push(ops.sync(SyncTag.CREATE_RUNTIME_HOOKS, 'wait for keel to run the prestart and createRuntime hooks'));
  }
  const creating = hookState(spec, input.id, input.bundle, 'creating');
  // A hook without env gets the environment of the process that runs it, as with runc (Go's exec
  // with a nil environment): here that of runc's init, which holds process.env by then.
  const initEnv = dedupeEnv(spec.process?.env ?? []);
  (hooks.createContainer ?? []).forEach((h, i) => plan.push(ops.runHook('createContainer', i, { ...h, env: h.env ?? initEnv, timeout: hookTimeout(h) }, creating)));

  const cwd = spec.process?.cwd ?? '/';
  if (cwd !== '/') plan.push(ops.mkdir(cwd, 'the process working directory'));

  if (host.rootfsIsRamfs) {
    warnings.push(`the root filesystem ${rootfs} is on ramfs, where pivot_root cannot work: using chroot, which a process with CAP_SYS_CHROOT can leave`);
  }
  plan.push(host.rootfsIsRamfs ? ops.chroot() : ops.pivotRoot());
  // runc's reOpenDevNull, where /dev is the container's own: no stdio keeps the host's /dev open.
  if (!devIsBound) plan.push(ops.reopenDevNull());
  if (propagation !== undefined) plan.push(ops.setPropagation('/', propagation, linux.rootfsPropagation!));

  if (spec.hostname) plan.push(ops.sethostname(spec.hostname));
  if (spec.domainname) plan.push(ops.setdomainname(spec.domainname));
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    if (checkSysctl(key, ns, host.isKeelNamespace, report)) plan.push(ops.writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value, `sysctl ${key}`));
  }
  for (const path of linux.readonlyPaths ?? []) plan.push(ops.readonlyPath(containerPath(path)));
  for (const path of linux.maskedPaths ?? []) plan.push(ops.maskPath(containerPath(path)));
  if (spec.root?.readonly) {
    // keel-init remounts "/" through /proc/self/fd/N, the container's own /proc by then. runc 1.1.5
    // fails every container without /proc ("open /proc/self/fd"); keel runs those that need none.
    if (!mounts.some((m) => containerPath(m.destination) === '/proc')) {
      report('/root/readonly', 'a read-only root needs /proc in the container (keel remounts "/" through /proc/self/fd), and no mount is at /proc: add {"destination": "/proc", "type": "proc", "source": "proc"} to /mounts, or set readonly to false');
    }
    plan.push(ops.remount('/', MS.RDONLY, ['ro']));
  }
  return plan;
}

function planProcess(input: CompileInput, warnings: string[], notes: string[]): PlanOp[] {
  if (!input.spec.process) return [];
  const plan = planProcessOps(input.spec.process, {
    rlimitCeiling: input.host.rlimitCeiling,
    homeOf: input.host.homeOf,
    report: input.report ?? throwProblem,
    warnings,
    notes,
    fifoFd: input.fifoFd,
    consoleFd: input.consoleFd,
    preserveFds: input.preserveFds,
    seccomp: input.spec.linux?.seccomp,
    personality: input.spec.linux?.personality,
    memoryPolicy: input.spec.linux?.memoryPolicy,
    memoryNodes: input.host.memoryNodes,
    lsm: input.host.lsm,
  });
  // config.md: execCPUAffinity is not for the container's init; keel exec's processes take it.
  if (input.spec.process.execCPUAffinity) {
    compileAffinity(input.spec.process.execCPUAffinity, '/process', input.report ?? throwProblem);
    notes.push("process.execCPUAffinity applies to the processes keel exec starts, not to the container's init (config.md)");
  }
  // startContainer hooks run in the container once it is started, before the user's program: the
  // container is still "created" (it is "running" once that program runs), as runc reports it.
  const started = hookState(input.spec, input.id, input.bundle, 'created');
  // Without env, the process's own environment, HOME included (runc's init has set it by then).
  const processEnv = (plan.find((op) => op.name === 'exec')?.args as { env?: string[] } | undefined)?.env ?? [];
  const hooks = (input.spec.hooks?.startContainer ?? []).map((h, i) => ops.runHook('startContainer', i, { ...h, env: h.env ?? processEnv, timeout: hookTimeout(h) }, started));
  plan.splice(plan.findIndex((op) => op.name === 'wait-start') + 1, 0, ...hooks);
  return plan;
}

export interface ProcessPlanOptions {
  rlimitCeiling: HostFacts['rlimitCeiling'];
  homeOf?: HostFacts['homeOf'];
  report: ReportProblem;
  warnings: string[];
  notes: string[];
  /** The exec fifo to wait on for `keel start`; absent for `keel exec`, which runs at once. */
  fifoFd?: number;
  /** The connected console socket that receives the terminal, when process.terminal is true. */
  consoleFd?: number;
  preserveFds: number;
  seccomp?: LinuxSeccomp;
  /** linux.personality: the container's, which a process joining it takes too. */
  personality?: LinuxPersonality;
  /** The security modules the host runs, for process.apparmorProfile and process.selinuxLabel. */
  lsm?: LsmFacts;
  /** linux.memoryPolicy: the container's, which a process joining it takes too (as runc). */
  memoryPolicy?: LinuxMemoryPolicy;
  memoryNodes?: readonly number[];
}

/** linux/binfmts.h: the longest string execve takes as one argument or variable, with its NUL (32 pages). */
const MAX_ARG_STRLEN = 32 * 4096;

/**
 * The process's own attributes (its OOM score aside: each plan places that), in the order the
 * kernel needs them: limits, a new session, the working directory (as root), the bounding set
 * (needs CAP_SETPCAP, so before the uid changes), the user, its directory again where root was
 * refused, the umask; the executable is found (before waiting, so a missing one fails create),
 * start is awaited, keel's fds are marked close-on-exec; then only the capabilities,
 * no_new_privs and the seccomp filter, and execve. Everything that may need a syscall comes
 * before the filter (see finalSteps). Shared by create and exec.
 */
export function planProcessOps(proc: NonNullable<Spec['process']>, opts: ProcessPlanOptions): PlanOp[] {
  const plan: PlanOp[] = [];
  // Checked again here for exec's process, which no schema or semantic check has seen.
  const nul = findNul(proc, '/process');
  if (nul !== undefined) opts.report(nul, NUL_MESSAGE);
  for (const field of ['args', 'env'] as const) {
    proc[field]?.forEach((s, i) => {
      const bytes = Buffer.byteLength(s);
      if (bytes >= MAX_ARG_STRLEN) opts.report(`/process/${field}/${i}`, `is ${bytes} bytes long: execve takes at most ${MAX_ARG_STRLEN - 1} per argument or variable`);
    });
  }
  for (const rl of compileRlimits(proc.rlimits, opts.rlimitCeiling, opts.report)) plan.push(ops.setrlimit(rl.name, rl.resource, rl.soft, rl.hard));
  // Scheduling and I/O class while keel-init still has CAP_SYS_NICE (realtime classes need it).
  const sched = proc.scheduler && compileScheduler(proc.scheduler, opts.report);
  if (sched) plan.push(ops.scheduler(proc.scheduler!.policy, sched));
  const ioprio = proc.ioPriority && compileIoPriority(proc.ioPriority, opts.report);
  if (ioprio !== undefined) plan.push(ops.ioPriority(proc.ioPriority!.class, proc.ioPriority!.priority, ioprio));
  const persona = opts.personality && compilePersonality(opts.personality, opts.report, opts.warnings);
  if (persona !== undefined) plan.push(ops.personality(opts.personality!.domain, persona));
  const mpol = opts.memoryPolicy && compileMemoryPolicy(opts.memoryPolicy, opts.memoryNodes, opts.report);
  if (mpol) plan.push(ops.memoryPolicy(opts.memoryPolicy!.mode, opts.memoryPolicy!.flags ?? [], mpol.mode, mpol.nodes));
  // A new session for every process, the init and each exec'd one, as runc and crun: it leads its
  // own session and process group inside the container (its caller's lie outside the container's
  // PID namespace, where getpgrp() reads 0), and a terminal needs one to be controlling.
  plan.push(ops.setsid());
  if (opts.consoleFd !== undefined) plan.push(ops.console(opts.consoleFd, proc.consoleSize?.height ?? 0, proc.consoleSize?.width ?? 0));

  const filter = opts.seccomp ? compileSeccomp(opts.seccomp) : undefined;
  if (filter?.unknownSyscalls.length) opts.notes.push(`seccomp: syscalls unknown on these architectures, skipped: ${filter.unknownSyscalls.join(', ')}`);
  if (filter?.unknownArchitectures.length) opts.warnings.push(`seccomp: no syscall table for ${filter.unknownArchitectures.join(', ')}: processes of those architectures are killed`);
  const seccompOp = filter && ops.seccomp(filter.program, filter.flags, filter.summary, filter.notifies);
  // The working directory is entered while still root, as runc does: a user may run in a
  // directory it could not enter itself. ops.chdir, after the user changes, retries a refusal.
  plan.push(ops.chdirAsRoot(proc.cwd));

  // Without process.capabilities every set is empty: the process gets no capability it was not
  // given, as with runc.
  const caps = compileCapabilities(proc.capabilities ?? {});
  for (const name of caps.unknown) opts.warnings.push(`unknown capability "${name}" skipped (this kernel or keel does not know it)`);
  if (caps.droppedAmbient.length) {
    opts.notes.push(`ambient capabilities [${caps.droppedAmbient.join(', ')}] left out: an ambient capability must also be permitted and inheritable`);
  }
  // A set left out of process.capabilities is empty, as in runc: podman --cap-drop ALL writes
  // "capabilities": {}. For uid 0 the bounding set is what limits the capabilities after execve.
  plan.push(ops.boundingSet(caps.masks.bounding ?? 0n, caps.names.bounding ?? []));

  const user = compileUser(proc.user ?? { uid: 0, gid: 0 }, opts.report);
  plan.push(ops.setUser(user.uid, user.gid, user.additionalGids));
  plan.push(ops.chdir(proc.cwd));
  plan.push(ops.umask(proc.user?.umask ?? 0o022));

  const env = withHome(dedupeEnv(proc.env ?? []), () => opts.homeOf?.(user.uid));
  const args = proc.args ?? [];
  plan.push(ops.resolveExec(args[0]!, envValue(env, 'PATH') ?? DEFAULT_PATH));
  // A filter that notifies a seccomp agent is installed before `start` is awaited, while keel
  // (create) is still there to pass the notify fd on, as runc does; it then governs the wait too.
  const early = filter?.notifies === true;
  if (early && proc.noNewPrivileges) plan.push(ops.noNewPrivs());
  if (early) plan.push(seccompOp!);
  if (opts.fifoFd !== undefined) plan.push(ops.waitStart(opts.fifoFd));
  // Labels take effect at execve: the program starts confined, keel's setup did not have to be.
  for (const w of planExecLabels(proc, opts.lsm ?? NO_LSM, opts.report)) plan.push(ops.writeFile(w.path, w.content, w.why));
  plan.push(ops.prepareExec(3 + opts.preserveFds));

  const capsOp = ops.caps(
    {
      effective: caps.masks.effective ?? 0n,
      permitted: caps.masks.permitted ?? 0n,
      inheritable: caps.masks.inheritable ?? 0n,
      ambient: caps.masks.ambient ?? 0n,
    },
    {
      effective: caps.names.effective ?? [],
      permitted: caps.names.permitted ?? [],
      inheritable: caps.names.inheritable ?? [],
      ambient: caps.names.ambient ?? [],
    },
  );
  const late = seccompOp && !early ? seccompOp : undefined;
  plan.push(...finalSteps(capsOp, late, proc.noNewPrivileges === true && !early, filterGoesBeforeCaps(proc.noNewPrivileges === true, caps.masks.effective ?? 0n)));
  plan.push(ops.exec(args, env));
  return plan;
}

/** CAP_SYS_ADMIN's bit: the kernel's condition for a seccomp filter without no_new_privs. */
const CAP_SYS_ADMIN_BIT = 1n << 21n;

/**
 * Whether the filter has to go in before the final capabilities: without no_new_privs the kernel
 * demands CAP_SYS_ADMIN to install it, so unless the process keeps that capability, keel-init
 * installs the filter while it still holds it and sets the capabilities after (as runc does).
 */
export function filterGoesBeforeCaps(noNewPrivileges: boolean, effective: bigint): boolean {
  return !noNewPrivileges && (effective & CAP_SYS_ADMIN_BIT) === 0n;
}

/**
 * The steps between the last setup and execve. The seccomp filter comes as late as the kernel
 * allows: after it, the process makes no syscall the profile could deny but execve itself and,
 * where the filter must precede the capabilities, capset (and PR_CAP_AMBIENT_RAISE for ambient
 * capabilities), which runc also makes after its filter.
 */
function finalSteps(capsOp: PlanOp, filter: PlanOp | undefined, setNoNewPrivs: boolean, filterBeforeCaps: boolean): PlanOp[] {
  const steps: PlanOp[] = [];
  if (filter && filterBeforeCaps) steps.push(filter, capsOp);
  else steps.push(capsOp);
  if (setNoNewPrivs) steps.push(ops.noNewPrivs());
  if (filter && !filterBeforeCaps) steps.push(filter);
  return steps;
}

function envValue(env: readonly string[], name: string): string | undefined {
  const entry = env.findLast((e) => e.startsWith(name + '='));
  return entry?.slice(name.length + 1);
}

/**
 * Like runc, a process without HOME gets one, so that shells and tools find a home directory: its
 * user's in the container's /etc/passwd, else "/".
 */
function withHome(env: readonly string[], home: () => string | undefined): string[] {
  return envValue(env, 'HOME') === undefined ? [...env, `HOME=${home() ?? '/'}`] : [...env];
}
