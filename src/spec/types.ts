// The OCI runtime-spec config.json (versions 1.0.0 to 1.3.x) and the runtime's state and features
// outputs, as TypeScript types. Field names are exactly the spec's JSON names. Only what keel
// reads on Linux is typed; unknown fields are tolerated by spec-schemas/, never by an index
// signature here, so a misspelt field is a compile error in keel rather than a silent no-op.
//
// Numbers: JSON.parse gives every integer as a double, so uint64/int64 values above 2^53 arrive
// rounded. The schemas bound each integer to its spec range; nothing here can do better.

/** A whole config.json. */
export interface Spec {
  ociVersion: string;
  root?: Root;
  mounts?: Mount[];
  process?: Process;
  hostname?: string;
  domainname?: string;
  hooks?: Hooks;
  annotations?: Record<string, string>;
  linux?: Linux;
  /** Other platforms' objects: refused on Linux, naming them (src/spec/coverage.ts). */
  windows?: object;
  solaris?: object;
  vm?: object;
  zos?: object;
  freebsd?: object;
}

export interface Root {
  /** Absolute, or relative to the bundle directory. */
  path: string;
  readonly?: boolean;
}

export interface Mount {
  /** Should be absolute; a relative destination is taken relative to "/" (deprecated). */
  destination: string;
  source?: string;
  type?: string;
  options?: string[];
  /** For id-mapped mounts; set together with gidMappings. */
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
}

export interface Process {
  terminal?: boolean;
  consoleSize?: Box;
  user?: User;
  /** At least one entry; args[0] is looked up like execvp's file. */
  args: string[];
  /** Windows only; kept so a config carrying it type-checks. */
  commandLine?: string;
  env?: string[];
  /** Absolute. */
  cwd: string;
  capabilities?: LinuxCapabilities;
  rlimits?: POSIXRlimit[];
  noNewPrivileges?: boolean;
  apparmorProfile?: string;
  /** -1000 to 1000; when absent the runtime leaves oom_score_adj alone. */
  oomScoreAdj?: number;
  scheduler?: Scheduler;
  selinuxLabel?: string;
  ioPriority?: IOPriority;
  execCPUAffinity?: CPUAffinity;
}

/** Console size in characters; ignored unless process.terminal is true. */
export interface Box {
  height: number;
  width: number;
}

/** Numeric ids in the container's user namespace. */
export interface User {
  uid: number;
  gid: number;
  /** When absent the process keeps the runtime's umask. */
  umask?: number;
  additionalGids?: number[];
  /** Windows only: refused on Linux. */
  username?: string;
}

/** Capability names such as CAP_KILL; names keel does not know are warned about, not rejected. */
export interface LinuxCapabilities {
  bounding?: string[];
  effective?: string[];
  inheritable?: string[];
  permitted?: string[];
  ambient?: string[];
}

export interface POSIXRlimit {
  /** RLIMIT_NOFILE, RLIMIT_CORE, ... */
  type: string;
  soft: number;
  hard: number;
}

export type SchedulerPolicy =
  | 'SCHED_OTHER'
  | 'SCHED_FIFO'
  | 'SCHED_RR'
  | 'SCHED_BATCH'
  | 'SCHED_ISO'
  | 'SCHED_IDLE'
  | 'SCHED_DEADLINE';

export type SchedulerFlag =
  | 'SCHED_FLAG_RESET_ON_FORK'
  | 'SCHED_FLAG_RECLAIM'
  | 'SCHED_FLAG_DL_OVERRUN'
  | 'SCHED_FLAG_KEEP_POLICY'
  | 'SCHED_FLAG_KEEP_PARAMS'
  | 'SCHED_FLAG_UTIL_CLAMP_MIN'
  | 'SCHED_FLAG_UTIL_CLAMP_MAX';

/** sched_setattr(2) parameters; runtime, deadline and period are nanoseconds. */
export interface Scheduler {
  policy: SchedulerPolicy;
  nice?: number;
  priority?: number;
  flags?: SchedulerFlag[];
  runtime?: number;
  deadline?: number;
  period?: number;
}

export interface IOPriority {
  class: 'IOPRIO_CLASS_RT' | 'IOPRIO_CLASS_BE' | 'IOPRIO_CLASS_IDLE';
  /** 0 (highest) to 7 (lowest). */
  priority: number;
}

/** CPU lists such as "0-3,7" for processes joining the container (exec), not its init. */
export interface CPUAffinity {
  /** Where the joining process runs before it enters the container's cgroup. */
  initial?: string;
  /** Where it runs afterwards; absent or empty leaves the affinity to the kernel. */
  final?: string;
}

export interface Hooks {
  /** Deprecated in favour of createRuntime, createContainer and startContainer. */
  prestart?: Hook[];
  createRuntime?: Hook[];
  createContainer?: Hook[];
  startContainer?: Hook[];
  poststart?: Hook[];
  poststop?: Hook[];
}

export interface Hook {
  /** Absolute. */
  path: string;
  args?: string[];
  env?: string[];
  /** Seconds, greater than zero. */
  timeout?: number;
}

export interface Linux {
  namespaces?: LinuxNamespace[];
  uidMappings?: LinuxIDMapping[];
  gidMappings?: LinuxIDMapping[];
  /** Keyed by clock name ("monotonic", "boottime"); needs a new time namespace. */
  timeOffsets?: Record<string, LinuxTimeOffset>;
  devices?: LinuxDevice[];
  /** Host interface name -> how it appears in the container. */
  netDevices?: Record<string, LinuxNetDevice>;
  cgroupsPath?: string;
  resources?: LinuxResources;
  intelRdt?: LinuxIntelRdt;
  /** sysctl name -> value. */
  sysctl?: Record<string, string>;
  seccomp?: LinuxSeccomp;
  rootfsPropagation?: RootfsPropagation;
  maskedPaths?: string[];
  readonlyPaths?: string[];
  mountLabel?: string;
  personality?: LinuxPersonality;
  memoryPolicy?: LinuxMemoryPolicy;
}

export type LinuxNamespaceType = 'pid' | 'network' | 'mount' | 'ipc' | 'uts' | 'user' | 'cgroup' | 'time';

export interface LinuxNamespace {
  type: LinuxNamespaceType;
  /** Join the namespace at this absolute path instead of creating one. */
  path?: string;
}

export interface LinuxIDMapping {
  containerID: number;
  hostID: number;
  size: number;
}

export interface LinuxTimeOffset {
  secs?: number;
  nanosecs?: number;
}

/** A device node to create in the container. */
export interface LinuxDevice {
  /** c (char), b (block), u (unbuffered char) or p (FIFO). */
  type: 'c' | 'b' | 'u' | 'p';
  path: string;
  /** Required unless type is p. */
  major?: number;
  minor?: number;
  /** Decimal, not octal: 438 is 0o666. */
  fileMode?: number;
  uid?: number;
  gid?: number;
}

export interface LinuxNetDevice {
  /** Name inside the container; defaults to the host name. */
  name?: string;
}

/** The spec lists the four plain values; engines also write the recursive forms. */
export type RootfsPropagation =
  | 'shared'
  | 'slave'
  | 'private'
  | 'unbindable'
  | 'rshared'
  | 'rslave'
  | 'rprivate'
  | 'runbindable';

export interface LinuxResources {
  devices?: LinuxDeviceCgroup[];
  memory?: LinuxMemory;
  cpu?: LinuxCPU;
  pids?: LinuxPids;
  blockIO?: LinuxBlockIO;
  hugepageLimits?: LinuxHugepageLimit[];
  network?: LinuxNetwork;
  /** RDMA device name -> limits. */
  rdma?: Record<string, LinuxRdma>;
  /** cgroup v2 file name -> content, written as is. */
  unified?: Record<string, string>;
}

/** One entry of the device allow/deny list, applied in order. */
export interface LinuxDeviceCgroup {
  allow: boolean;
  /** a (all, the default), c or b. */
  type?: 'a' | 'c' | 'b';
  /** Absent means any. */
  major?: number;
  minor?: number;
  /** Some of r, w, m. */
  access?: string;
}

/** Bytes; -1 means unlimited. */
export interface LinuxMemory {
  limit?: number;
  reservation?: number;
  /** Memory plus swap. */
  swap?: number;
  kernel?: number;
  kernelTCP?: number;
  /** 0 to 100. */
  swappiness?: number;
  disableOOMKiller?: boolean;
  useHierarchy?: boolean;
  checkBeforeUpdate?: boolean;
}

/** Times in microseconds. */
export interface LinuxCPU {
  shares?: number;
  quota?: number;
  burst?: number;
  period?: number;
  realtimeRuntime?: number;
  realtimePeriod?: number;
  /** CPU list such as "0-3,7". */
  cpus?: string;
  /** Memory node list such as "0-1". */
  mems?: string;
  /** 1 puts the cgroup under SCHED_IDLE. */
  idle?: number;
}

export interface LinuxPids {
  /** -1 means no limit; 0 is a real limit. */
  limit?: number;
}

export interface LinuxBlockIO {
  weight?: number;
  leafWeight?: number;
  weightDevice?: LinuxWeightDevice[];
  throttleReadBpsDevice?: LinuxThrottleDevice[];
  throttleWriteBpsDevice?: LinuxThrottleDevice[];
  throttleReadIOPSDevice?: LinuxThrottleDevice[];
  throttleWriteIOPSDevice?: LinuxThrottleDevice[];
}

/** At least one of weight and leafWeight is set. */
export interface LinuxWeightDevice {
  major: number;
  minor: number;
  weight?: number;
  leafWeight?: number;
}

export interface LinuxThrottleDevice {
  major: number;
  minor: number;
  /** Bytes or operations per second. */
  rate: number;
}

export interface LinuxHugepageLimit {
  /** "64KB", "2MB", "1GB": units of 1024. */
  pageSize: string;
  limit: number;
}

export interface LinuxNetwork {
  classID?: number;
  priorities?: LinuxInterfacePriority[];
}

export interface LinuxInterfacePriority {
  name: string;
  priority: number;
}

/** At least one of the two is set. */
export interface LinuxRdma {
  hcaHandles?: number;
  hcaObjects?: number;
}

export interface LinuxIntelRdt {
  /** "/" is the default class of service; absent means one named after the container. */
  closID?: string;
  l3CacheSchema?: string;
  memBwSchema?: string;
  /** Lines written to the schemata file, after l3CacheSchema and memBwSchema. */
  schemata?: string[];
  enableMonitoring?: boolean;
}

export type LinuxSeccompAction =
  | 'SCMP_ACT_KILL'
  | 'SCMP_ACT_KILL_PROCESS'
  | 'SCMP_ACT_KILL_THREAD'
  | 'SCMP_ACT_TRAP'
  | 'SCMP_ACT_ERRNO'
  | 'SCMP_ACT_TRACE'
  | 'SCMP_ACT_ALLOW'
  | 'SCMP_ACT_LOG'
  | 'SCMP_ACT_NOTIFY';

export type LinuxSeccompOperator =
  | 'SCMP_CMP_NE'
  | 'SCMP_CMP_LT'
  | 'SCMP_CMP_LE'
  | 'SCMP_CMP_EQ'
  | 'SCMP_CMP_GE'
  | 'SCMP_CMP_GT'
  | 'SCMP_CMP_MASKED_EQ';

export interface LinuxSeccomp {
  defaultAction: LinuxSeccompAction;
  /** errno for a defaultAction of SCMP_ACT_ERRNO or SCMP_ACT_TRACE; EPERM when absent. */
  defaultErrnoRet?: number;
  /** SCMP_ARCH_X86_64, ... */
  architectures?: string[];
  /** SECCOMP_FILTER_FLAG_* names. */
  flags?: string[];
  /** Unix socket that receives the notify fd when an action is SCMP_ACT_NOTIFY. */
  listenerPath?: string;
  /** Passed to the listener as is; only with listenerPath. */
  listenerMetadata?: string;
  syscalls?: LinuxSeccompSyscall[];
}

export interface LinuxSeccompSyscall {
  /** At least one name. */
  names: string[];
  action: LinuxSeccompAction;
  errnoRet?: number;
  args?: LinuxSeccompArg[];
}

export interface LinuxSeccompArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: LinuxSeccompOperator;
}

export interface LinuxPersonality {
  domain: 'LINUX' | 'LINUX32';
  /** No flags are defined yet. */
  flags?: string[];
}

export type LinuxMemoryPolicyMode =
  | 'MPOL_DEFAULT'
  | 'MPOL_BIND'
  | 'MPOL_INTERLEAVE'
  | 'MPOL_WEIGHTED_INTERLEAVE'
  | 'MPOL_PREFERRED'
  | 'MPOL_PREFERRED_MANY'
  | 'MPOL_LOCAL';

export type LinuxMemoryPolicyFlag = 'MPOL_F_NUMA_BALANCING' | 'MPOL_F_RELATIVE_NODES' | 'MPOL_F_STATIC_NODES';

export interface LinuxMemoryPolicy {
  mode: LinuxMemoryPolicyMode;
  /** Node list such as "0-3,7". */
  nodes?: string;
  flags?: LinuxMemoryPolicyFlag[];
}

/** The spec's four states, plus paused (a frozen cgroup) as runc reports it. */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/**
 * The runtime-spec's state: what hooks read on stdin. `keel state` prints runc's larger shape
 * (StateOutput in src/container/state.ts: rootfs, created and owner besides), which
 * spec-schemas/state.schema.json describes.
 */
export interface State {
  ociVersion: string;
  id: string;
  status: ContainerStatus;
  /** Required while created or running; runc prints 0 once stopped. */
  pid?: number;
  /** Absolute path of the bundle directory. */
  bundle: string;
  annotations?: Record<string, string>;
}

/**
 * What `keel features` prints. Every field but the two versions may be absent or null, and
 * null means "not reported", which is not the same as an empty list.
 */
export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks?: string[] | null;
  mountOptions?: string[] | null;
  linux?: LinuxFeatures | null;
  annotations?: Record<string, string> | null;
  potentiallyUnsafeConfigAnnotations?: string[] | null;
}

export interface LinuxFeatures {
  namespaces?: LinuxNamespaceType[] | null;
  capabilities?: string[] | null;
  cgroup?: {
    v1?: boolean | null;
    v2?: boolean | null;
    systemd?: boolean | null;
    systemdUser?: boolean | null;
    rdma?: boolean | null;
  } | null;
  seccomp?: {
    enabled?: boolean | null;
    actions?: LinuxSeccompAction[] | null;
    operators?: LinuxSeccompOperator[] | null;
    archs?: string[] | null;
    knownFlags?: string[] | null;
    supportedFlags?: string[] | null;
  } | null;
  apparmor?: { enabled?: boolean | null } | null;
  selinux?: { enabled?: boolean | null } | null;
  intelRdt?: { enabled?: boolean | null; schemata?: boolean | null; monitoring?: boolean | null } | null;
  memoryPolicy?: { modes?: LinuxMemoryPolicyMode[] | null; flags?: LinuxMemoryPolicyFlag[] | null } | null;
  mountExtensions?: { idmap?: { enabled?: boolean | null } | null } | null;
  netDevices?: { enabled?: boolean | null } | null;
}
