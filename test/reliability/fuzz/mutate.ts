/**
 * Hostile configs, made from a valid one by seeded mutations: wrong types, huge values, deep
 * nesting, odd unicode, path traversal in every path field, symlinks planted in the rootfs that
 * point at the host (/, /proc, /sys, /etc, /dev, a canary directory), a rootfs that is itself a
 * symlink, devices that would expose host disks, sysctls that would change the host.
 *
 * Placeholders keep a case replayable on any machine, and small: @CANARY@ is the canary
 * directory, "@DEEP:n@" (with its quotes) becomes n nested arrays and "@RANGE:n@" the array
 * [0, ..., n-1], "@STRING:n@" a string of n letters, when config.json is written. Host-global
 * values (core_pattern) are written back with their current value, so that even a keel that
 * failed to refuse them would change nothing.
 */
import { defaultSpec } from '../../../src/spec/default.js';
import type { Random } from './random.js';

export interface Plant {
  /** Path inside the rootfs (relative); whatever is there is replaced by the symlink. */
  path: string;
  target: string;
}

export interface FuzzCase {
  /** What was done to the valid config, in words. */
  mutations: string[];
  config: unknown;
  plants: Plant[];
  /** Replaces the rootfs by a symlink to this ("real-rootfs" is the moved rootfs, in the bundle). */
  rootfsSymlinkTo?: string;
  /** The container id, when the case is about ids. */
  id?: string;
  /** Runs keel in a private mount namespace: for configs that would harm the host if keel did not refuse them. */
  isolate?: boolean;
  /** Hand-written cases may demand an error (a regular expression for the stderr line). */
  expectError?: string;
  /** For saved cases: what went wrong when it was found. */
  found?: string;
}

export const MARK = 'keel-fuzz-mark';
const HOSTILE_TARGETS = ['/', '/etc', '/proc', '/sys', '/dev', '@CANARY@', '../../../../../../@CANARY@', '/proc/self/root', '/proc/1/root', '/proc/self/cwd'];
const ODD_STRINGS = ['', '\u0000', 'a\u0000b', '\ud800', '\u202eevil', '😀'.repeat(64), '\n', '..', '.', 'é', '\uffff', ' ', '-', '%s%n%n'];
const HUGE_NUMBERS = [2 ** 53, 2 ** 64, -1, -(2 ** 63), 1e308, 4294967295, 4294967296, 0.5, -0];

export function baseSpec(): Record<string, any> {
  const spec = defaultSpec() as Record<string, any>;
  spec.process.terminal = false;
  spec.process.args = ['true'];
  spec.root = { path: 'rootfs', readonly: false };
  return spec;
}

type Draft = FuzzCase & { config: Record<string, any> };
type Mutation = (rng: Random, d: Draft) => string;

function hostilePath(rng: Random, d: Draft): string {
  switch (rng.int(7)) {
    case 0:
      return `../../../../../../@CANARY@/${MARK}`;
    case 1:
      return `/../../../..@CANARY@/${MARK}`;
    case 2: {
      const name = `lnk${rng.int(1000)}`;
      d.plants.push({ path: name, target: rng.pick(HOSTILE_TARGETS) });
      return rng.chance(0.5) ? `/${name}/${MARK}` : `/${name}`;
    }
    case 3:
      return rng.pick([`/proc/self/root/${MARK}`, `/proc/1/cwd/${MARK}`, `/proc/self/fd/0/${MARK}`, `/sys/../../@CANARY@/${MARK}`]);
    case 4:
      return rng.pick(['', '.', '..', '/', 'x'.repeat(5000), `/a\u0000/../../@CANARY@/${MARK}`, '/\ud800', `/dev/../../..@CANARY@/${MARK}`, '//////']);
    case 5: {
      const dir = rng.pick(['proc', 'sys', 'dev', 'etc', 'tmp']);
      d.plants.push({ path: dir, target: rng.pick(HOSTILE_TARGETS) });
      return `/${dir}/${MARK}`;
    }
    default:
      return `/${MARK}/../../../@CANARY@/${MARK}`;
  }
}

/** Every (container, key) in the config, to pick a field to spoil. */
function slots(value: unknown, out: [Record<string, any>, string | number][] = []): [Record<string, any>, string | number][] {
  if (value && typeof value === 'object') {
    for (const key of Object.keys(value)) {
      const k = Array.isArray(value) ? Number(key) : key;
      out.push([value as Record<string, any>, k]);
      slots((value as Record<string, any>)[key], out);
    }
  }
  return out;
}

function pickSlot(rng: Random, d: Draft, filter: (v: unknown) => boolean = () => true): [Record<string, any>, string | number] | undefined {
  const found = slots(d.config).filter(([o, k]) => filter(o[k]));
  return found.length ? rng.pick(found) : undefined;
}

const describePick = (o: Record<string, any>, k: string | number) => `${Array.isArray(o) ? `[${k}]` : k}`;

const MUTATIONS: Record<string, Mutation> = {
  pathTraversal(rng, d) {
    const c = d.config;
    const p = hostilePath(rng, d);
    const mounts = (c.mounts ??= []);
    const where = rng.pick(['mount destination', 'new mount', 'cwd', 'args[0]', 'device path', 'maskedPaths', 'readonlyPaths', 'cgroupsPath', 'mount source']);
    switch (where) {
      case 'mount destination':
        if (mounts.length) rng.pick(mounts as Record<string, any>[]).destination = p;
        break;
      case 'new mount':
        mounts.push(rng.pick([{ destination: p, type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] }, { destination: p, type: 'bind', source: '@CANARY@', options: ['rbind', 'ro'] }, { destination: p, type: 'proc', source: 'proc' }, { destination: p, type: 'sysfs', source: 'sysfs', options: ['ro'] }]));
        break;
      case 'cwd':
        c.process.cwd = p.startsWith('/') ? p : `/${p}`;
        break;
      case 'args[0]':
        c.process.args = [p];
        break;
      case 'device path':
        (c.linux.devices ??= []).push({ path: p, type: 'c', major: 1, minor: 3, fileMode: 0o666 });
        break;
      case 'maskedPaths':
        (c.linux.maskedPaths ??= []).push(p);
        break;
      case 'readonlyPaths':
        (c.linux.readonlyPaths ??= []).push(p);
        break;
      case 'cgroupsPath':
        c.linux.cgroupsPath = p;
        break;
      case 'mount source':
        mounts.push({ destination: `/${MARK}`, type: 'tmpfs', source: p });
        break;
    }
    return `${where} = ${JSON.stringify(p).slice(0, 60)}`;
  },
  wrongType(rng, d) {
    const slot = pickSlot(rng, d);
    if (!slot) return 'wrongType: nothing';
    const [o, k] = slot;
    o[k] = rng.pick<unknown>([null, true, 0, -1, 'x', [], {}, [1, 'a'], { a: 1 }]);
    return `wrongType ${describePick(o, k)} = ${JSON.stringify(o[k])}`;
  },
  hugeNumber(rng, d) {
    const slot = pickSlot(rng, d, (v) => typeof v === 'number');
    if (!slot) return 'hugeNumber: nothing';
    const [o, k] = slot;
    o[k] = rng.pick(HUGE_NUMBERS);
    return `hugeNumber ${describePick(o, k)} = ${o[k]}`;
  },
  hugeString(rng, d) {
    const slot = pickSlot(rng, d, (v) => typeof v === 'string');
    if (!slot) return 'hugeString: nothing';
    const [o, k] = slot;
    const n = rng.pick([4096, 65536, 1 << 20]);
    o[k] = `@STRING:${n}@`;
    return `hugeString ${describePick(o, k)} of ${n}`;
  },
  deepNesting(rng, d) {
    const slot = pickSlot(rng, d);
    if (!slot) return 'deepNesting: nothing';
    const [o, k] = slot;
    const n = rng.pick([64, 1000, 10_000, 100_000]);
    o[k] = `@DEEP:${n}@`;
    return `deepNesting ${describePick(o, k)} ${n} deep`;
  },
  oddUnicode(rng, d) {
    const slot = pickSlot(rng, d, (v) => typeof v === 'string');
    if (!slot) return 'oddUnicode: nothing';
    const [o, k] = slot;
    o[k] = rng.pick(ODD_STRINGS);
    return `oddUnicode ${describePick(o, k)} = ${JSON.stringify(o[k]).slice(0, 40)}`;
  },
  deleteField(rng, d) {
    const slot = pickSlot(rng, d);
    if (!slot) return 'deleteField: nothing';
    const [o, k] = slot;
    if (Array.isArray(o)) o.splice(Number(k), 1);
    else delete o[k];
    return `deleteField ${describePick(o, k)}`;
  },
  rootfsSymlink(rng, d) {
    d.rootfsSymlinkTo = rng.pick(['real-rootfs', '/', '@CANARY@', '/proc/self/root']);
    return `rootfs is a symlink to ${d.rootfsSymlinkTo}`;
  },
  hostDevice(rng, d) {
    const path = rng.pick(['/dev/vda', `/dev/${MARK}`, hostilePath(rng, d)]);
    (d.config.linux.devices ??= []).push({ path, type: 'b', major: 254, minor: 0, fileMode: 0o666, uid: 0, gid: 0 });
    return `host disk device at ${JSON.stringify(path).slice(0, 60)}`;
  },
  symlinkedDirs(rng, d) {
    const dir = rng.pick(['proc', 'sys', 'dev', 'etc', 'tmp', 'dev/pts', 'dev/shm', 'dev/mqueue', 'sys/fs/cgroup']);
    const target = rng.pick(HOSTILE_TARGETS);
    d.plants.push({ path: dir, target });
    return `rootfs /${dir} -> ${target}`;
  },
  hostileId(rng, d) {
    d.id = rng.pick(['..', '../x', 'a/b', 'x'.repeat(1025), 'a b', 'ü', '-rf', '.', '', 'a\nb', '@CANARY@']);
    return `id ${JSON.stringify(d.id).slice(0, 40)}`;
  },
  identity(rng, d) {
    const p = d.config.process;
    const what = rng.pick(['uid', 'gids', 'rlimit', 'umask']);
    if (what === 'uid') p.user = { uid: rng.pick([4294967295, 4294967294, 65534, -1]), gid: rng.pick([4294967295, 0]) };
    if (what === 'gids') p.user = { uid: 0, gid: 0, additionalGids: `@RANGE:${rng.pick([65537, 70000, 3])}@` };
    if (what === 'rlimit') p.rlimits = [{ type: rng.pick(['RLIMIT_NOFILE', 'RLIMIT_NPROC', 'RLIMIT_BOGUS', 'RLIMIT_CORE']), hard: rng.pick(HUGE_NUMBERS), soft: rng.pick(HUGE_NUMBERS) }];
    if (what === 'umask') p.user = { uid: 0, gid: 0, umask: rng.pick([0o7777, 4294967295, -1]) };
    return `identity ${what}: ${JSON.stringify(p.user ?? p.rlimits).slice(0, 60)}`;
  },
  sysctl(rng, d) {
    const [key, value] = rng.pick([
      ['kernel.core_pattern', '@CORE_PATTERN@'],
      ['net.ipv4.ip_forward', '0'],
      ['kernel.hostname', 'fuzz'],
      ['net/../../../../@CANARY@/x', 'x'],
      ['kernel.shmmax', '99999999999999999999999'],
      ['fs.mqueue.msg_max', 'x'],
    ]);
    (d.config.linux.sysctl ??= {})[key!] = value;
    return `sysctl ${key} = ${value}`;
  },
  mountOptions(rng, d) {
    const mounts = (d.config.mounts ??= []) as Record<string, any>[];
    if (!mounts.length) return 'mountOptions: nothing';
    const m = rng.pick(mounts);
    m.options = [...(m.options ?? []), rng.pick(['rbind', 'bind', 'xyz', 'size=99999999999999999999', 'mode=99999', 'rro', 'idmap', 'remount', 'shared', 'ro', 'nosuid,nodev'])];
    return `mount ${m.destination} options ${JSON.stringify(m.options)}`;
  },
  namespaces(rng, d) {
    const ns = (d.config.linux.namespaces ??= []) as Record<string, any>[];
    const what = rng.pick(['duplicate', 'unknown', 'no pid', 'bad path', 'host mount ns']);
    if (what === 'duplicate' && ns.length) ns.push({ ...rng.pick(ns) });
    if (what === 'unknown') ns.push({ type: 'bogus' });
    if (what === 'no pid') d.config.linux.namespaces = ns.filter((n) => n.type !== 'pid');
    if (what === 'bad path' && ns.length) rng.pick(ns).path = rng.pick(['@CANARY@/canary', '/dev/null', `/proc/self/ns/${MARK}`, '/proc/1/ns/../../1/root/etc/passwd']);
    if (what === 'host mount ns') {
      const mnt = ns.find((n) => n.type === 'mount');
      // Only paths that name keel's own namespace, which the case's private namespace is: never
      // /proc/1/ns/mnt, which is the real host's even from inside it.
      if (mnt) mnt.path = rng.pick(['/proc/self/ns/mnt', '/proc/thread-self/ns/mnt']);
      d.isolate = true;
    }
    return `namespaces: ${what}`;
  },
};

/** One case: a valid config with one to three mutations. */
export function generateCase(rng: Random): FuzzCase {
  const d: Draft = { mutations: [], config: baseSpec(), plants: [] };
  // Paths and planted symlinks get most of the draws: they reach keel-init, where escapes would be.
  const names = [...Object.keys(MUTATIONS), ...Array(4).fill('pathTraversal'), ...Array(2).fill('symlinkedDirs')];
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const name = rng.pick(names);
    try {
      d.mutations.push(MUTATIONS[name]!(rng, d));
    } catch {
      // An earlier mutation took away (or retyped) what this one edits: the case stays as it is.
      d.mutations.push(`${name}: nothing left to change`);
    }
  }
  return d;
}
