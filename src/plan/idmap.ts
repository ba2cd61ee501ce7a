/**
 * Id-mapped bind mounts (mounts[].uidMappings/gidMappings, the idmap and ridmap options): which
 * mounts are, with what mappings, and the attributes their detached copy gets. keel-init makes
 * each copy while it is still the host's root (idmap-prepare, before any namespace) and moves it
 * onto its destination among the other mounts (mount-idmapped).
 */
import { isAbsolute, resolve } from 'node:path';

import type { LinuxIDMapping, Spec } from '../spec/types.js';
import { MOUNT_ATTR, MS, parseMountOptions } from './mount-options.js';
import type { ReportProblem } from '../spec/problem.js';

/** keel-plan.h's KEEL_MAX_IDMAPPED. */
export const MAX_IDMAPPED = 64;

export interface IdmappedMount {
  slot: number;
  source: string;
  uidMap: string;
  gidMap: string;
  /** 1: the mounts below the source come too (rbind); 2: they are id-mapped too (ridmap). */
  recursion: number;
  attrSet: number;
  attrClear: number;
}

/** The kernel's uid_map/gid_map text: "inside outside count" lines. */
export function mapText(mappings: readonly LinuxIDMapping[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

/** The plain mount flags as mount_setattr attributes: [to set, to clear]. */
function attributes(flags: number, cleared: number): [number, number] {
  const bits: [number, number][] = [
    [MS.RDONLY, MOUNT_ATTR.RDONLY],
    [MS.NOSUID, MOUNT_ATTR.NOSUID],
    [MS.NODEV, MOUNT_ATTR.NODEV],
    [MS.NOEXEC, MOUNT_ATTR.NOEXEC],
    [MS.NODIRATIME, MOUNT_ATTR.NODIRATIME],
    [MS.NOSYMFOLLOW, MOUNT_ATTR.NOSYMFOLLOW],
  ];
  let set = 0;
  let clear = 0;
  for (const [ms, attr] of bits) {
    if (flags & ms) set |= attr;
    // "rw" does not undo a read-only source: a bind never makes writable what its source is not.
    else if (cleared & ms & ~MS.RDONLY) clear |= attr;
  }
  const atime = flags & MS.NOATIME ? MOUNT_ATTR.NOATIME : flags & MS.STRICTATIME ? MOUNT_ATTR.STRICTATIME : flags & MS.RELATIME ? MOUNT_ATTR.RELATIME : undefined;
  if (atime !== undefined || cleared & (MS.NOATIME | MS.STRICTATIME | MS.RELATIME)) {
    set |= atime ?? MOUNT_ATTR.RELATIME;
    clear |= MOUNT_ATTR.ATIME_MODE;
  }
  return [set, clear];
}

/** The id-mapped mounts of a config, by index in mounts[]; a mount keel cannot id-map is reported. */
export function planIdmappedMounts(spec: Spec, bundle: string, report: ReportProblem): Map<number, IdmappedMount> {
  const found = new Map<number, IdmappedMount>();
  const userns = spec.linux?.namespaces?.find((ns) => ns.type === 'user');
  (spec.mounts ?? []).forEach((m, i) => {
    const options = m.options ?? [];
    const idmap = options.includes('idmap');
    const ridmap = options.includes('ridmap');
    if (!idmap && !ridmap && !m.uidMappings) return;
    const at = `/mounts/${i}`;
    const rbind = options.includes('rbind');
    if (m.type !== 'bind' && !rbind && !options.includes('bind')) {
      report(`${at}/type`, `keel id-maps bind mounts only, not "${m.type ?? ''}" (use a bind mount of a directory, or drop the id mapping)`);
      return;
    }
    let uid = m.uidMappings;
    let gid = m.gidMappings;
    if (!uid || !gid) {
      // config.md: the container's mappings MAY stand in; without a user namespace, an error MUST be returned.
      if (!userns) return report(at, 'an id-mapped mount needs uidMappings and gidMappings, or a user namespace whose mappings it takes (config.md)');
      if (userns.path) return report(at, 'an id-mapped mount in a joined user namespace needs uidMappings and gidMappings of its own');
      uid = spec.linux?.uidMappings ?? [];
      gid = spec.linux?.gidMappings ?? [];
    }
    if (!uid.length || !gid.length) return report(at, 'an id-mapped mount needs at least one uid and one gid mapping');
    if (found.size === MAX_IDMAPPED) return report(at, `keel makes at most ${MAX_IDMAPPED} id-mapped mounts per container`);
    const parsed = parseMountOptions(options);
    const [attrSet, attrClear] = attributes(parsed.flags, parsed.cleared);
    const source = m.source && (isAbsolute(m.source) ? m.source : resolve(bundle, m.source));
    if (!source) return report(at, 'a bind mount needs a "source"');
    // Mappings without the option id-map the whole tree an rbind brings, as ridmap does.
    found.set(i, { slot: found.size, source, uidMap: mapText(uid), gidMap: mapText(gid), recursion: (rbind ? 1 : 0) | (ridmap || (rbind && !idmap) ? 2 : 0), attrSet, attrClear });
  });
  return found;
}
