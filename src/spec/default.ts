// The config.json that `keel spec` writes: what `runc spec` writes (runc 1.2 and later), field for
// field and in runc's field order, so that people and scripts that know runc's template find
// the same one here. Differences, on purpose:
//   - hostname is "keel";
//   - ociVersion is the release keel implements (runc writes the one it was built against);
//   - the cgroup namespace is always requested. runc asks for it only on cgroup v2 hosts, to keep
//     its old template on v1; a template should not depend on the machine that printed it, and
//     the kernel supports cgroup namespaces on v1 as well.
import type { LinuxNamespace, Mount, Spec } from './types.js';
import { SPEC_VERSION } from './version.js';

export interface DefaultSpecOptions {
  /** For a container started by an unprivileged user (`keel spec --rootless`). */
  rootless?: boolean;
}

export function defaultSpec(opts: DefaultSpecOptions = {}): Spec {
  const spec = rootfulSpec();
  return opts.rootless ? toRootless(spec, effectiveId(process.geteuid), effectiveId(process.getegid)) : spec;
}

const DEFAULT_CAPABILITIES = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

function rootfulSpec(): Spec {
  return {
    ociVersion: SPEC_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      // No inheritable or ambient set: runc dropped both from its template (1.2) so that a
      // non-root process does not keep capabilities across exec without asking for them.
      capabilities: {
        bounding: [...DEFAULT_CAPABILITIES],
        effective: [...DEFAULT_CAPABILITIES],
        permitted: [...DEFAULT_CAPABILITIES],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'keel',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [
        { type: 'pid' },
        { type: 'network' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'cgroup' },
      ],
      // Kernel interfaces that leak host information or let a container poke the host.
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

// What an unprivileged user can set up: a user namespace mapping only their own ids to root, no
// network namespace (nobody could configure it), no sysfs mount (the kernel refuses it without a
// network namespace, so bind the host's), no uid=/gid= mount options (they would name unmapped
// ids) and no cgroup limits (the user cannot write them).
function toRootless(spec: Spec, uid: number, gid: number): Spec {
  const { resources: _cgroupLimits, ...linux } = spec.linux ?? {};
  const namespaces: LinuxNamespace[] = (linux.namespaces ?? []).filter(
    (ns) => ns.type !== 'network' && ns.type !== 'user',
  );
  return {
    ...spec,
    mounts: (spec.mounts ?? []).map(rootlessMount),
    linux: {
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
      ...linux,
      namespaces: [...namespaces, { type: 'user' }],
    },
  };
}

function rootlessMount(mount: Mount): Mount {
  if (mount.destination === '/sys') {
    return {
      destination: '/sys',
      type: 'none',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    };
  }
  if (!mount.options) return mount;
  return { ...mount, options: mount.options.filter((o) => !o.startsWith('uid=') && !o.startsWith('gid=')) };
}

function effectiveId(get: (() => number) | undefined): number {
  if (!get) throw new Error('keel spec --rootless needs a POSIX host to read the user id from');
  return get();
}
