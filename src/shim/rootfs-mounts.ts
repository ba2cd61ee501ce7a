/**
 * How containerd's mounts for a container's root file system become mount(2) calls: which flags,
 * which data, and where an overlay's lowerdirs that would not fit in a page are given relative
 * to. Pure; src/shim/rootfs.ts makes the calls.
 */
import { MS, parseMountOptions } from '../plan/mount-options.js';
import { KeelError } from '../util/errors.js';

export interface RootMount {
  type: string;
  source: string;
  target: string;
  options: string[];
}

/** One mount(2) call: `dir`, when not empty, is the working directory relative lowerdirs need. */
export interface MountCall {
  source: string;
  fstype: string;
  flags: number;
  data: string;
  dir: string;
}

/**
 * The kernel copies one page of mount(2)'s data and ends it with a NUL (path_mount), so the
 * options can be at most a page less one byte. keel is built for x86-64, whose pages are 4 KiB.
 */
export const MAX_MOUNT_DATA = 4096 - 1;

/**
 * The mount(2) calls that put one of containerd's mounts on `target`, in order, as containerd's
 * own mount package makes them: the mount without its propagation flags, then the propagation,
 * then, for a read-only bind, a remount that makes it read-only (a bind takes no flags but MS_REC
 * at first). Pure.
 */
export function mountCalls(m: RootMount, target: string, maxData = MAX_MOUNT_DATA): MountCall[] {
  const what = `${m.type || 'mount'} from ${m.source} on ${target}`;
  // A bind is a flag to mount(2), not a file system type (containerd's snapshotters name it in
  // the options too; the type alone is enough for mount(8), so it is here).
  const implied = m.type === 'rbind' ? ['rbind'] : m.type === 'bind' ? ['bind'] : [];
  const options = [...implied.filter((o) => !m.options.includes(o) && !m.options.includes('rbind')), ...m.options];
  const parsed = parseMountOptions(options);
  // What containerd's snapshotters never give and mount(2) alone cannot do: refused, not dropped.
  const refused = [...parsed.recursive.options, ...parsed.idmap, ...(parsed.copyUp ? ['tmpcopyup'] : []), ...parsed.data.filter((o) => o === 'loop')][0];
  if (refused) throw new KeelError(`cannot mount the container's root file system (${what}): keel's shim does not support the option "${refused}"; use a snapshotter that gives overlay or bind mounts`);
  const calls: MountCall[] = [];
  const main = overlayData(m.type, parsed.data, what, maxData);
  calls.push({ source: m.source, fstype: m.type === 'bind' || m.type === 'rbind' ? '' : m.type, flags: parsed.flags, data: main.data, dir: main.dir });
  if (parsed.propagation) calls.push({ source: '', fstype: '', flags: parsed.propagation, data: '', dir: '' });
  if (parsed.flags & MS.BIND && parsed.flags & MS.RDONLY) {
    calls.push({ source: '', fstype: '', flags: MS.REMOUNT | MS.BIND | (parsed.flags & ~MS.REC), data: '', dir: '' });
  }
  return calls;
}

/**
 * The data string of a mount, and the directory to make the call in. An overlay of many layers
 * names more lowerdirs than a page holds: as containerd 1.6 does, they are then given relative
 * to the directory they all sit in (the snapshotter's snapshots/), and the call is made there.
 * Only then: absolute paths, when they fit, keep /proc/self/mountinfo telling where each is.
 */
function overlayData(type: string, data: string[], what: string, maxData: number): { data: string; dir: string } {
  const joined = data.join(',');
  if (joined.length <= maxData) return { data: joined, dir: '' };
  const at = data.findIndex((o) => o.startsWith('lowerdir='));
  const lowerdirs = at < 0 || type !== 'overlay' ? [] : data[at]!.slice('lowerdir='.length).split(':');
  const dir = commonDirectory(lowerdirs);
  let compacted = '';
  if (dir) {
    const relative = lowerdirs.map((l) => l.slice(dir.length + 1));
    compacted = [...data.slice(0, at), `lowerdir=${relative.join(':')}`, ...data.slice(at + 1)].join(',');
    if (compacted.length <= maxData) return { data: compacted, dir };
  }
  const tried = compacted ? ` (${compacted.length} with the lowerdirs relative to ${dir})` : '';
  throw new KeelError(`cannot mount the container's root file system (${what}): its options are ${joined.length} bytes${tried}, more than the ${maxData} mount(2) takes; use an image with fewer layers`);
}

/** The deepest directory every path (absolute, at least two) lies below; '' when that is "/" or there is none. */
export function commonDirectory(paths: readonly string[]): string {
  if (paths.length < 2 || !paths.every((p) => p.startsWith('/'))) return '';
  const parts = paths.map((p) => p.split('/'));
  const common: string[] = [];
  // Each path's last component is its own: the common directory is at most every parent.
  const depth = Math.min(...parts.map((p) => p.length - 1));
  for (let i = 0; i < depth && parts.every((p) => p[i] === parts[0]![i]); i++) common.push(parts[0]![i]!);
  return common.join('/');
}
