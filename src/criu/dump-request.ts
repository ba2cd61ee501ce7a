/**
 * The criu_req of a dump or pre-dump, from the container's record and the user's options: pure, so
 * what keel tells CRIU (its root, external mounts, cgroups, namespaces) is unit-tested. The
 * choices are runc 1.1's (libcontainer's Checkpoint), so images move between the two runtimes.
 */
import { isAbsolute } from 'node:path';

import type { Spec } from '../spec/types.js';
import type { Message } from '../protobuf/proto2.js';
import { MANAGE_CGROUPS_MODES, type CheckpointOptions } from './options.js';
import { ReqType } from './rpc-messages.js';

/** CRIU's log level 4: every step, as runc asks for; the log is what explains a failure. */
export const CRIU_LOG_LEVEL = 4;

/** What keel looks up on the host for the request. */
export interface DumpFacts {
  pid: number;
  rootfs: string;
  spec: Spec;
  imagesDirFd: number;
  workDirFd?: number;
  /** The cgroup CRIU freezes the container with (the v1 freezer's, or the v2 directory). */
  freezeCgroup?: string;
  /** maskedPaths that are files in the container (a /dev/null bind over them); directories get a tmpfs, which CRIU dumps itself. */
  maskedFiles: readonly string[];
  /** Inode of each namespace the container joined by path (network, pid): CRIU leaves them out, keyed as runc keys them. */
  joinedNamespaces: { type: 'network' | 'pid'; inode: number }[];
}

/** runc's keys for namespaces CRIU treats as external. */
export const EXTERNAL_NS_KEYS = { network: 'extRootNetNS', pid: 'extRootPidNS' } as const;
const CRIU_NS_NAMES = { network: 'net', pid: 'pid' } as const;

/** Whether a config mount is a bind (type "bind", or bind/rbind among its options). */
export function isBindMount(m: { type?: string; options?: string[] }): boolean {
  return m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
}

/**
 * The mounts CRIU must take as external (ext_mnt, key = the mount point in the container): every
 * bind mount (its source is the host's, not the container's to save), the /dev/null binds over
 * masked files, and device nodes where they are bind-mounted; runc's list.
 */
export function externalMountKeys(spec: Spec, maskedFiles: readonly string[]): { key: string; val: string }[] {
  // key: the mount point; val: the name restore maps back to a host path (restoreExternalMounts).
  const binds = (spec.mounts ?? []).filter(isBindMount).map((m) => ({ key: m.destination, val: m.destination }));
  // Every masked file is the same /dev/null bind, under that one name (runc's).
  const masked = maskedFiles.map((path) => ({ key: path, val: '/dev/null' }));
  const devices = (spec.linux?.devices ?? []).map((d) => ({ key: d.path, val: d.path }));
  const seen = new Set<string>();
  return [...binds, ...masked, ...devices].filter((m) => isAbsolute(m.key) && !seen.has(m.key) && seen.add(m.key));
}

export function dumpRequest(opts: CheckpointOptions, facts: DumpFacts): Message {
  const criuOpts: Message = {
    imagesDirFd: facts.imagesDirFd,
    pid: facts.pid,
    leaveRunning: opts.leaveRunning,
    extUnixSk: opts.extUnixSk,
    tcpEstablished: opts.tcpEstablished,
    shellJob: opts.shellJob,
    fileLocks: opts.fileLocks,
    logLevel: CRIU_LOG_LEVEL,
    logFile: opts.preDump ? 'pre-dump.log' : 'dump.log',
    notifyScripts: true,
    root: facts.rootfs,
    autoDedup: opts.autoDedup,
    workDirFd: facts.workDirFd,
    // manage_cgroups (24) is the old spelling of the mode: runc sets it, and the mode below refines it.
    manageCgroups: true,
    emptyNs: opts.emptyNs,
    orphanPtsMaster: true,
    lazyPages: opts.lazyPages,
    freezeCgroup: facts.freezeCgroup,
    external: facts.joinedNamespaces.map((ns) => `${CRIU_NS_NAMES[ns.type]}[${ns.inode}]:${EXTERNAL_NS_KEYS[ns.type]}`),
  };
  if (opts.pageServer) criuOpts.ps = { address: opts.pageServer.address, port: opts.pageServer.port };
  if (opts.parentImage) Object.assign(criuOpts, { parentImg: opts.parentImage, trackMem: true });
  if (opts.preDump) criuOpts.trackMem = true;
  if (opts.manageCgroupsMode) criuOpts.manageCgroupsMode = MANAGE_CGROUPS_MODES[opts.manageCgroupsMode];
  if (opts.lazyPages && opts.statusFd !== undefined) criuOpts.statusFd = opts.statusFd;
  // A pre-dump saves memory only: the mounts are the dump's business.
  if (!opts.preDump) criuOpts.extMnt = externalMountKeys(facts.spec, facts.maskedFiles);
  return { type: opts.preDump ? ReqType.PRE_DUMP : ReqType.DUMP, opts: criuOpts };
}
