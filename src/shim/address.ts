/**
 * Where a shim listens and which containers share one: containerd's rules for shims
 * (runtime/v2/shim/util_unix.go, runc's manager), as pure functions.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';

/** containerd 1.6/1.7 put shim sockets here, whatever its own state directory. */
export const SOCKET_DIR = '/run/containerd/s';

/** Annotations that put containers in one shim (a pod), in the order runc's shim reads them. */
export const GROUP_ANNOTATIONS = ['io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id'];

/** The shim address for a group: unix://<SOCKET_DIR>/<sha256 of containerd's address, namespace and group joined as a path>. */
export function socketAddress(containerdAddress: string, namespace: string, group: string): string {
  // Go's filepath.Join cleans the result, as posix.join does (no "//", no trailing "/").
  const digest = createHash('sha256').update(posix.join(containerdAddress, namespace, group)).digest('hex');
  return `unix://${SOCKET_DIR}/${digest}`;
}

/** The group a container's shim serves: its pod's sandbox id when it has one, else itself. */
export function groupOf(id: string, annotations: Record<string, string> | undefined): string {
  for (const key of GROUP_ANNOTATIONS) {
    const group = annotations?.[key];
    if (group) return group;
  }
  return id;
}

/** The socket path of a unix:// address. */
export function socketPath(address: string): string {
  return address.replace(/^unix:\/\//, '');
}

export interface ShimFlags {
  namespace: string;
  address: string;
  publishBinary: string;
  id: string;
  bundle: string;
  debug: boolean;
  /** start, delete, or '' for the long-lived shim itself. */
  action: string;
}

/** The command line containerd gives a shim, parsed as Go's flag package does (-flag value, --flag=value, -debug). */
export function parseShimFlags(argv: readonly string[]): ShimFlags {
  const flags: ShimFlags = { namespace: '', address: '', publishBinary: '', id: '', bundle: '', debug: false, action: '' };
  const names: Record<string, keyof ShimFlags> = { namespace: 'namespace', address: 'address', 'publish-binary': 'publishBinary', id: 'id', bundle: 'bundle' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      flags.action = arg;
      break;
    }
    const [, name, inline] = m;
    if (name === 'debug') {
      flags.debug = inline === undefined || inline === 'true';
      continue;
    }
    if (name === 'v' || name === 'version' || name === 'socket') {
      // -socket is for shims that are handed a path; this one gets its socket as fd 3.
      if (name === 'socket' && inline === undefined) i++;
      if (name !== 'socket') flags.action = 'version';
      continue;
    }
    const key = names[name!];
    if (!key) throw new Error(`flag provided but not defined: -${name}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`flag needs an argument: -${name}`);
    (flags as unknown as Record<string, string>)[key] = value;
  }
  return flags;
}
