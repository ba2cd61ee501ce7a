/**
 * The plan compiler: a validated spec and the facts of this host in, the ordered list of ops that
 * keel-init carries out. Pure: everything it needs to know about the host comes in `host`, so
 * every decision here is testable without root.
 */
import type { Spec } from '../spec/types.js';
import type { CgroupLayout } from '../cgroups/layout.js';
import { KeelError } from '../util/errors.js';
import { compileCapabilities } from './capabilities.js';
import { planDevices } from './devices.js';
import { MS, PROPAGATION_OPTIONS, propagationName } from './mount-options.js';
import { containerPath, planMount } from './mounts.js';
import { cloneFlags, planNamespaces, type NamespacePlan } from './namespaces.js';
import { ops, SyncTag, type PlanOp } from './ops.js';
import { compileRlimits } from './rlimits.js';
import { checkSysctl } from './sysctl.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface HostFacts {
  cgroups: CgroupLayout;
  /** The root filesystem is ramfs/rootfs, where pivot_root is impossible. */
  rootfsIsRamfs: boolean;
  kindOf(path: string): 'file' | 'dir' | undefined;
}

export interface CompileInput {
  spec: Spec;
  bundle: string;
  /** Absolute path of the container's root filesystem on the host. */
  rootfs: string;
  host: HostFacts;
  /** keel-init's own fds sit from here on, above the fds handed to the container. */
  fifoFd: number;
  preserveFds: number;
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
  const linux = spec.linux ?? {};
  if (!spec.process) throw new KeelError('config.json: /process: missing: keel needs a process to run');
  const namespaces = planNamespaces(linux.namespaces);
  if (!namespaces.has('mount')) {
    throw new KeelError('config.json: /linux/namespaces: keel needs a mount namespace (add {"type": "mount"}): without one, pivot_root would change the host');
  }
  if ((spec.hostname || spec.domainname) && !namespaces.has('uts')) {
    throw new KeelError('config.json: /hostname: setting a hostname needs a UTS namespace (add {"type": "uts"} to /linux/namespaces)');
  }
  const warnings: string[] = [];
  const notes: string[] = [];
  const plan: PlanOp[] = [
    ...planNamespacePhase(input, namespaces),
    ...planRootfs(input, namespaces),
    ...planProcess(input, warnings, notes),
  ];
  return { ops: plan, namespaces, warnings, notes };
}

function planNamespacePhase({ spec }: CompileInput, ns: NamespacePlan): PlanOp[] {
  const plan: PlanOp[] = [ops.sync(SyncTag.CGROUP, 'wait for keel to place the container in its cgroups')];
  for (const { type, path } of ns.join) plan.push(ops.setns(type, cloneFlagsOf(type), path));
  if (ns.isNew('user')) {
    plan.push(
      ops.unshare(['user'], cloneFlags(['user'])),
      ops.sync(SyncTag.ID_MAPS, 'wait for keel to write the uid and gid mappings'),
      ops.setIds(0, 0),
    );
  }
  const others = ns.create.filter((t) => t !== 'user');
  if (others.length) plan.push(ops.unshare(others, cloneFlags(others)));
  const offsets = spec.linux?.timeOffsets;
  if (offsets && Object.keys(offsets).length) {
    if (!ns.isNew('time')) throw new KeelError('config.json: /linux/timeOffsets: time offsets need a new time namespace (add {"type": "time"})');
    const lines = Object.entries(offsets).map(([clock, o]) => `${clock} ${o.secs ?? 0} ${o.nanosecs ?? 0}`);
    plan.push(ops.writeFile('/proc/self/timens_offsets', lines.join('\n'), 'time namespace offsets'));
  }
  plan.push(ops.forkInit(ns.has('pid')));
  return plan;
}

function cloneFlagsOf(type: Parameters<typeof cloneFlags>[0][number]): number {
  return cloneFlags([type]);
}

function planRootfs(input: CompileInput, ns: NamespacePlan): PlanOp[] {
  const { spec, rootfs, host } = input;
  const linux = spec.linux ?? {};
  const mounts = spec.mounts ?? [];
  const propagation = linux.rootfsPropagation ? PROPAGATION_OPTIONS[linux.rootfsPropagation] : undefined;
  if (linux.rootfsPropagation && propagation === undefined) {
    throw new KeelError(`config.json: /linux/rootfsPropagation: unknown propagation "${linux.rootfsPropagation}" (use one of ${Object.keys(PROPAGATION_OPTIONS).join(', ')})`);
  }
  // Until the container's mounts are in place, nothing may propagate back to the host.
  const prepareFlags = MS.SLAVE | MS.REC;
  const plan: PlanOp[] = [ops.prepareRootfs(rootfs, prepareFlags, propagationName(prepareFlags))];

  const ctx = { bundle: input.bundle, cgroups: host.cgroups, kindOf: host.kindOf };
  mounts.forEach((m, i) => plan.push(...planMount(m, i, ctx)));

  const devIsBound = mounts.some((m) => containerPath(m.destination) === '/dev' && (m.type === 'bind' || m.options?.some((o) => o === 'bind' || o === 'rbind')));
  plan.push(...planDevices(linux.devices ?? [], { setupDev: !devIsBound, inUserNamespace: ns.isNew('user') || ns.join.some((j) => j.type === 'user') }));

  const cwd = spec.process?.cwd ?? '/';
  if (cwd !== '/') plan.push(ops.mkdir(cwd, 'the process working directory'));

  plan.push(host.rootfsIsRamfs ? ops.chroot() : ops.pivotRoot());
  if (propagation !== undefined) plan.push(ops.setPropagation('/', propagation, linux.rootfsPropagation!));

  if (spec.hostname) plan.push(ops.sethostname(spec.hostname));
  if (spec.domainname) plan.push(ops.setdomainname(spec.domainname));
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) {
    checkSysctl(key, ns);
    plan.push(ops.writeFile(`/proc/sys/${key.replace(/\./g, '/')}`, value, `sysctl ${key}`));
  }
  for (const path of linux.readonlyPaths ?? []) plan.push(ops.readonlyPath(containerPath(path)));
  for (const path of linux.maskedPaths ?? []) plan.push(ops.maskPath(containerPath(path)));
  if (spec.root?.readonly) plan.push(ops.remount('/', MS.RDONLY, ['ro']));
  return plan;
}

function planProcess(input: CompileInput, warnings: string[], notes: string[]): PlanOp[] {
  const proc = input.spec.process!;
  const plan: PlanOp[] = [];
  if (proc.oomScoreAdj !== undefined) {
    plan.push(ops.writeFile('/proc/self/oom_score_adj', String(proc.oomScoreAdj), 'oomScoreAdj'));
  }
  for (const rl of compileRlimits(proc.rlimits)) plan.push(ops.setrlimit(rl.name, rl.resource, rl.soft, rl.hard));
  plan.push(ops.setsid());

  const caps = proc.capabilities ? compileCapabilities(proc.capabilities) : undefined;
  for (const name of caps?.unknown ?? []) warnings.push(`unknown capability "${name}" skipped (this kernel or keel does not know it)`);
  if (caps?.droppedAmbient.length) {
    notes.push(`ambient capabilities [${caps.droppedAmbient.join(', ')}] left out: an ambient capability must also be permitted and inheritable`);
  }
  if (caps?.masks.bounding !== undefined) plan.push(ops.boundingSet(caps.masks.bounding, caps.names.bounding!));

  const user = proc.user ?? { uid: 0, gid: 0 };
  plan.push(ops.setUser(user.uid, user.gid, user.additionalGids));
  plan.push(ops.chdir(proc.cwd));
  plan.push(ops.umask(user.umask ?? 0o022));
  if (caps) {
    plan.push(
      ops.caps(
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
      ),
    );
  }

  const env = withHome(proc.env ?? []);
  const args = proc.args ?? [];
  plan.push(ops.resolveExec(args[0]!, envValue(env, 'PATH') ?? DEFAULT_PATH));
  plan.push(ops.waitStart(input.fifoFd));
  if (proc.noNewPrivileges) plan.push(ops.noNewPrivs());
  plan.push(ops.exec(args, env, 3 + input.preserveFds));
  return plan;
}

function envValue(env: readonly string[], name: string): string | undefined {
  const entry = env.findLast((e) => e.startsWith(name + '='));
  return entry?.slice(name.length + 1);
}

/** Like runc, a process without HOME gets one, so that shells and tools find a home directory. */
function withHome(env: readonly string[]): string[] {
  return envValue(env, 'HOME') === undefined ? [...env, 'HOME=/'] : [...env];
}
