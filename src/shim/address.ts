/**
 * containerd's shim command line and socket addresses, as pure functions. Which containers share
 * a shim and where it listens (containerd's socket name rule) are native/launch/shim-rules.c's:
 * `start`, which applies them, is the static program's.
 */

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

/**
 * The command line containerd gives a shim, parsed as Go's flag package does (-flag value,
 * --flag=value, -debug). native/launch/shim.c reads it the same way to find `start`, and hands
 * anything it cannot read to this.
 */
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
