/**
 * The criu_req of a restore: pure, from the bundle's config and the user's options, with runc
 * 1.1's choices (libcontainer's Restore) so that images move between the two runtimes.
 */
import { isAbsolute, resolve } from 'node:path';

import type { Spec } from '../spec/types.js';
import { CRIU_LOG_LEVEL, EXTERNAL_NS_KEYS, isBindMount } from './dump-request.js';
import type { Message } from '../protobuf/proto2.js';
import { MANAGE_CGROUPS_MODES, type RestoreOptions } from './options.js';
import { ReqType } from './rpc-messages.js';

export interface RestoreFacts {
  bundle: string;
  spec: Spec;
  /** A mount point holding the rootfs (CRIU wants its root to be one, with a parent not mounted over). */
  root: string;
  imagesDirFd: number;
  workDirFd?: number;
  /** The new container's cgroup, relative to the hierarchy's root: where CRIU puts the restored processes. */
  cgroupPath: string;
  /** descriptors.json of the checkpoint: what the init's fds 0, 1 and 2 were ("pipe:[123]", "/dev/null"). */
  descriptors: readonly string[];
  /** Namespaces the config joins by path (the dump left them out as external): the fd CRIU has each open as. */
  joinedNamespaces: { type: 'network' | 'pid'; criuFd: number }[];
}

/**
 * The host side of each external mount the dump named (key = the mount point in the container):
 * a bind's source, /dev/null for masked files, and each device path.
 */
export function restoreExternalMounts(spec: Spec, bundle: string): { key: string; val: string }[] {
  const binds = (spec.mounts ?? []).filter(isBindMount).map((m) => ({ key: m.destination, val: resolve(bundle, m.source ?? '') }));
  const masked = (spec.linux?.maskedPaths ?? []).length ? [{ key: '/dev/null', val: '/dev/null' }] : [];
  const devices = (spec.linux?.devices ?? []).map((d) => ({ key: d.path, val: d.path }));
  const seen = new Set<string>();
  return [...binds, ...masked, ...devices].filter((m) => isAbsolute(m.key) && !seen.has(m.key) && seen.add(m.key));
}

export function restoreRequest(opts: RestoreOptions, facts: RestoreFacts): Message {
  const criuOpts: Message = {
    imagesDirFd: facts.imagesDirFd,
    evasiveDevices: true,
    logLevel: CRIU_LOG_LEVEL,
    logFile: 'restore.log',
    // The restored init becomes keel's child (not CRIU's), so keel can wait for it, as runc does.
    rstSibling: true,
    root: facts.root,
    manageCgroups: true,
    notifyScripts: true,
    shellJob: opts.shellJob,
    extUnixSk: opts.extUnixSk,
    tcpEstablished: opts.tcpEstablished,
    fileLocks: opts.fileLocks,
    emptyNs: opts.emptyNs,
    orphanPtsMaster: true,
    autoDedup: opts.autoDedup,
    lazyPages: opts.lazyPages,
    workDirFd: facts.workDirFd,
    extMnt: restoreExternalMounts(facts.spec, facts.bundle),
    // The checkpointed container's cgroup becomes the new container's, whatever its id was.
    cgRoot: [{ path: facts.cgroupPath }],
    // A pipe the init had for stdio is replaced by keel's own fd of that number, which CRIU inherits.
    // A joined namespace comes back as the one the config names, under the key the dump gave it.
    inheritFd: [
      ...facts.descriptors.flatMap((d, fd) => (d.includes('pipe:') ? [{ key: d, fd }] : [])),
      ...facts.joinedNamespaces.map((ns) => ({ key: EXTERNAL_NS_KEYS[ns.type], fd: ns.criuFd })),
    ],
  };
  if (opts.lsmProfile) criuOpts.lsmProfile = opts.lsmProfile;
  if (opts.lsmMountContext) criuOpts.lsmMountContext = opts.lsmMountContext;
  if (opts.manageCgroupsMode) criuOpts.manageCgroupsMode = MANAGE_CGROUPS_MODES[opts.manageCgroupsMode];
  return { type: ReqType.RESTORE, opts: criuOpts };
}
