/**
 * Every field of config.json that keel reads on Linux, and what keel does with it: applied (and
 * where), applied with a warning in the cases keel cannot honour, or refused before anything is
 * created. test/unit/spec/coverage.test.ts walks spec-schemas/ and fails for any field that is in
 * none of these tables, so a field the spec adds cannot be dropped silently. A pointer's "*"
 * stands for any array index or map key.
 */

/** Fields keel carries out, with the module that does. */
export const APPLIED: Readonly<Record<string, string>> = {
  '/ociVersion': 'spec/version.ts (checked; carried into the state)',
  '/root': 'plan/compile.ts',
  '/root/path': 'plan/compile.ts (prepare-rootfs, pivot-root)',
  '/root/readonly': 'plan/compile.ts (remount / ro)',
  '/hostname': 'plan/compile.ts (sethostname)',
  '/domainname': 'plan/compile.ts (setdomainname)',
  '/annotations': 'hooks/run.ts (the state hooks and `keel state` show)',
  '/annotations/*': 'hooks/run.ts',
  ...each(['/mounts', '/mounts/*/destination', '/mounts/*/source', '/mounts/*/type', '/mounts/*/options'], 'plan/mounts.ts (mount)'),
  ...each(['/mounts/*/uidMappings', '/mounts/*/gidMappings', ...mapping('/mounts/*/uidMappings'), ...mapping('/mounts/*/gidMappings')], 'plan/idmap.ts (idmap-prepare, mount-idmapped)'),
  '/process': 'plan/compile.ts (planProcessOps)',
  '/process/terminal': 'container/console.ts, plan/compile.ts (console)',
  ...each(['/process/consoleSize', '/process/consoleSize/height', '/process/consoleSize/width'], 'plan/compile.ts (console)'),
  ...each(['/process/user', '/process/user/uid', '/process/user/gid', '/process/user/additionalGids'], 'plan/user.ts (set-user)'),
  '/process/user/umask': 'plan/compile.ts (umask)',
  '/process/cwd': 'plan/compile.ts (chdir)',
  '/process/env': 'plan/env.ts (exec)',
  '/process/args': 'plan/compile.ts (resolve-exec, exec)',
  ...each(['/process/capabilities', ...['ambient', 'bounding', 'effective', 'inheritable', 'permitted'].map((s) => `/process/capabilities/${s}`)], 'plan/capabilities.ts (bounding-set, capabilities)'),
  ...each(['/process/rlimits', '/process/rlimits/*/type', '/process/rlimits/*/soft', '/process/rlimits/*/hard'], 'plan/rlimits.ts (setrlimit)'),
  '/process/noNewPrivileges': 'plan/compile.ts (no-new-privileges)',
  '/process/apparmorProfile': 'plan/lsm.ts (refused where the host has no AppArmor)',
  '/process/selinuxLabel': 'plan/lsm.ts (refused where the host has no SELinux)',
  '/process/oomScoreAdj': 'plan/compile.ts (write-file oom_score_adj)',
  ...each(['/process/execCPUAffinity', '/process/execCPUAffinity/initial', '/process/execCPUAffinity/final'], 'plan/affinity.ts (cpu-affinity, for keel exec: config.md leaves the init out)'),
  ...each(['/process/scheduler', ...['policy', 'nice', 'priority', 'flags', 'runtime', 'deadline', 'period'].map((f) => `/process/scheduler/${f}`)], 'plan/sched.ts (scheduler)'),
  ...each(['/process/ioPriority', '/process/ioPriority/class', '/process/ioPriority/priority'], 'plan/sched.ts (io-priority)'),
  ...each(['/hooks', ...['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].flatMap((k) => [`/hooks/${k}`, ...['path', 'args', 'env', 'timeout'].map((f) => `/hooks/${k}/*/${f}`)])], 'hooks/run.ts, plan/compile.ts (hook)'),
  '/linux': 'plan/compile.ts',
  ...each(['/linux/namespaces', '/linux/namespaces/*/type', '/linux/namespaces/*/path'], 'plan/namespaces.ts (unshare, setns)'),
  ...each(['/linux/uidMappings', '/linux/gidMappings', ...mapping('/linux/uidMappings'), ...mapping('/linux/gidMappings')], 'container/init-session.ts (uid_map, gid_map at the id-maps sync)'),
  ...each(['/linux/timeOffsets', '/linux/timeOffsets/*', '/linux/timeOffsets/*/secs', '/linux/timeOffsets/*/nanosecs'], 'plan/compile.ts (write-file timens_offsets)'),
  ...each(['/linux/devices', ...['type', 'path', 'major', 'minor', 'fileMode', 'uid', 'gid'].map((f) => `/linux/devices/*/${f}`)], 'plan/devices.ts (mknod)'),
  '/linux/cgroupsPath': 'cgroups/manager.ts',
  ...each(
    [
      '/linux/resources',
      ...['', '/*/allow', '/*/type', '/*/major', '/*/minor', '/*/access'].map((f) => `/linux/resources/devices${f}`),
      ...['', '/limit', '/reservation', '/swap', '/kernelTCP', '/swappiness', '/disableOOMKiller'].map((f) => `/linux/resources/memory${f}`),
      ...['', '/shares', '/quota', '/burst', '/period', '/realtimeRuntime', '/realtimePeriod', '/cpus', '/mems', '/idle'].map((f) => `/linux/resources/cpu${f}`),
      '/linux/resources/pids',
      '/linux/resources/pids/limit',
      ...['', '/weight', '/leafWeight', '/weightDevice', '/weightDevice/*/major', '/weightDevice/*/minor', '/weightDevice/*/weight', '/weightDevice/*/leafWeight'].map((f) => `/linux/resources/blockIO${f}`),
      ...['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'].flatMap((t) => ['', '/*/major', '/*/minor', '/*/rate'].map((f) => `/linux/resources/blockIO/${t}${f}`)),
      ...['', '/*/limit', '/*/pageSize'].map((f) => `/linux/resources/hugepageLimits${f}`),
      ...['', '/classID', '/priorities', '/priorities/*/name', '/priorities/*/priority'].map((f) => `/linux/resources/network${f}`),
      ...['', '/*', '/*/hcaHandles', '/*/hcaObjects'].map((f) => `/linux/resources/rdma${f}`),
      '/linux/resources/unified',
      '/linux/resources/unified/*',
    ],
    'cgroups/resources.ts (the cgroup files, at the cgroup sync)',
  ),
  '/linux/resources/memory/checkBeforeUpdate': 'cgroups/manager.ts (keel update)',
  ...each(['/linux/sysctl', '/linux/sysctl/*'], 'plan/sysctl.ts (write-file /proc/sys)'),
  ...each(
    [
      '/linux/seccomp',
      ...['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'listenerPath', 'listenerMetadata', 'syscalls'].map((f) => `/linux/seccomp/${f}`),
      ...['names', 'action', 'errnoRet', 'args', 'args/*/index', 'args/*/value', 'args/*/valueTwo', 'args/*/op'].map((f) => `/linux/seccomp/syscalls/*/${f}`),
    ],
    'seccomp/compile.ts (seccomp)',
  ),
  '/linux/rootfsPropagation': 'plan/compile.ts (set-propagation)',
  '/linux/maskedPaths': 'plan/compile.ts (mask)',
  '/linux/readonlyPaths': 'plan/compile.ts (readonly)',
  '/linux/mountLabel': 'plan/lsm.ts (tmpfs context=; refused where the host has no SELinux)',
  ...each(['/linux/personality', '/linux/personality/domain'], 'plan/sched.ts (personality)'),
  ...each(['/linux/memoryPolicy', '/linux/memoryPolicy/mode', '/linux/memoryPolicy/nodes', '/linux/memoryPolicy/flags'], 'plan/mempolicy.ts (memory-policy)'),
  ...each(['/linux/netDevices', '/linux/netDevices/*', '/linux/netDevices/*/name'], 'plan/net-devices.ts (netlink-host, net-device)'),
  ...each(['/linux/intelRdt', ...['closID', 'l3CacheSchema', 'memBwSchema', 'schemata', 'enableMonitoring'].map((f) => `/linux/intelRdt/${f}`)], 'plan/intel-rdt.ts, container/resctrl.ts (at the cgroup sync; refused where resctrl is not mounted)'),
};

/** Fields keel takes but cannot always honour: it says so in a warning (never silently). */
export const WARNED: Readonly<Record<string, string>> = {
  '/linux/resources/memory/kernel': 'cgroups/resources.ts: the kernel deprecated kernel memory limits',
  '/linux/resources/memory/useHierarchy': 'cgroups/resources.ts: the kernel always accounts memory hierarchically; false is ignored with a warning',
  '/linux/personality/flags': 'plan/sched.ts: the runtime-spec defines no personality flags',
};

/** Fields refused wherever they appear on Linux, with the reason the error gives. */
export const REFUSED: Readonly<Record<string, string>> = {
  '/process/commandLine': 'is for Windows containers: a Linux process runs process.args',
  '/process/user/username': 'is for Windows containers: a Linux process runs as process.user.uid and gid',
  '/windows': 'configures a Windows container: keel runs Linux containers',
  '/solaris': 'configures a Solaris zone: keel runs Linux containers',
  '/vm': 'configures a virtual-machine container: keel runs Linux containers in namespaces, not VMs',
  '/zos': 'configures a z/OS container: keel runs Linux containers',
  '/freebsd': 'configures a FreeBSD jail: keel runs Linux containers',
};

/**
 * Fields below a refused one: the walk needs them listed, and they are refused with it. (A map's
 * keys and an array's items are refused by their parent's refusal.)
 */
export const REFUSED_WITH_PARENT: readonly string[] = [
];

function each(pointers: readonly string[], where: string): Record<string, string> {
  return Object.fromEntries(pointers.map((p) => [p, where]));
}

function mapping(at: string): string[] {
  return ['containerID', 'hostID', 'size'].map((f) => `${at}/*/${f}`);
}

/** Where the REFUSED fields occur in a document (a config, or {process} for exec), with why. */
export function refusedFields(doc: unknown, base = ''): { path: string; message: string }[] {
  const found: { path: string; message: string }[] = [];
  for (const [pattern, reason] of Object.entries(REFUSED)) {
    if (!pattern.startsWith(base + '/')) continue;
    for (const path of presentAt(doc, pattern.slice(base.length).split('/').slice(1), base)) found.push({ path, message: `${reason} (remove the field)` });
  }
  return found;
}

function presentAt(node: unknown, parts: string[], at: string): string[] {
  if (parts.length === 0) return node === undefined ? [] : [at];
  if (!node || typeof node !== 'object') return [];
  const [head, ...rest] = parts as [string, ...string[]];
  const keys = head === '*' ? Object.keys(node) : Object.hasOwn(node, head) ? [head] : [];
  return keys.flatMap((k) => presentAt((node as Record<string, unknown>)[k], rest, `${at}/${k}`));
}
