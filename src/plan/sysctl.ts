import type { LinuxNamespaceType } from '../spec/types.js';
import { ConfigError } from '../spec/problem.js';
import type { NamespacePlan } from './namespaces.js';

const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);
const UTS_SYSCTLS = new Set(['kernel.hostname', 'kernel.domainname']);

/** The namespace that confines a sysctl, or undefined when it is global to the host. */
function namespaceOf(key: string): LinuxNamespaceType | undefined {
  if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (UTS_SYSCTLS.has(key)) return 'uts';
  if (key.startsWith('net.')) return 'network';
  return undefined;
}

/**
 * As runc: a container may set only the sysctls of a namespace it has to itself. Any other one
 * (kernel.core_pattern, vm.*) would change the host for everyone, which a config must not do.
 * The key is a dotted name; "/" or ".." would leave /proc/sys. A namespace joined by path is
 * taken to be the container's own (engines join pod namespaces that way), unless it is keel's
 * own, that is the host's: `isKeelNamespace` says so (the effects layer compares the files).
 */
export function checkSysctl(key: string, ns: NamespacePlan, isKeelNamespace: (type: LinuxNamespaceType, path: string) => boolean = () => false): void {
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(key)) {
    throw new ConfigError('/linux/sysctl', `"${key}" is not a sysctl name (dotted words, as "net.ipv4.ip_forward")`);
  }
  const type = namespaceOf(key);
  if (!type) throw new ConfigError('/linux/sysctl', `"${key}" is not confined to a namespace of the container: setting it would change the host`);
  if (!ns.has(type)) {
    throw new ConfigError('/linux/sysctl', `"${key}" needs its own ${type} namespace (add {"type": "${type}"} to /linux/namespaces)`);
  }
  const joined = ns.join.find((j) => j.type === type);
  if (joined && isKeelNamespace(type, joined.path)) {
    throw new ConfigError(
      '/linux/sysctl',
      `"${key}" is not allowed in the host's ${type} namespace: the ${type} namespace path "${joined.path}" is keel's own, so setting it would change the host (give the container a ${type} namespace of its own, or drop the sysctl)`,
    );
  }
}
