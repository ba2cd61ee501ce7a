/**
 * From runc's checkpoint/restore flags to the options keel hands CRIU: pure, so every refusal of a
 * flag is made (and tested) before anything on the host is looked at or changed.
 */
import { isAbsolute, join, resolve } from 'node:path';

import { KeelError } from '../util/errors.js';

/** CRIU's cgroup modes (rpc.proto's criu_cg_mode), by the names runc's flag takes. */
export const MANAGE_CGROUPS_MODES = { ignore: 0, soft: 3, full: 4, strict: 5 } as const;
export type ManageCgroupsMode = keyof typeof MANAGE_CGROUPS_MODES;

/** CLONE_NEWNET: runc never restores the network namespace's devices (the engine sets them up), so it is always in the mask. */
export const CLONE_NEWNET = 0x40000000;
/** The namespaces --empty-ns may name, as runc 1.1 allows them. */
const EMPTY_NS_FLAGS: Readonly<Record<string, number>> = { network: CLONE_NEWNET };

/** The flags both verbs take, as yargs hands them over. */
export interface CriuFlags {
  'image-path'?: string;
  'work-path'?: string;
  'tcp-established'?: boolean;
  'ext-unix-sk'?: boolean;
  'shell-job'?: boolean;
  'file-locks'?: boolean;
  'manage-cgroups-mode'?: string;
  'empty-ns'?: string | string[];
  'auto-dedup'?: boolean;
  'lazy-pages'?: boolean;
}

export interface CheckpointFlags extends CriuFlags {
  'parent-path'?: string;
  'leave-running'?: boolean;
  'pre-dump'?: boolean;
  'page-server'?: string;
  'status-fd'?: number;
}

export interface RestoreFlags extends CriuFlags {
  'lsm-profile'?: string;
  'lsm-mount-context'?: string;
}

export interface CriuOptions {
  /** Absolute. */
  imagesDir: string;
  /** Absolute; CRIU's log goes here (the image directory when not given). */
  workDir?: string;
  tcpEstablished: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  manageCgroupsMode?: ManageCgroupsMode;
  /** CLONE_* bits of the namespaces CRIU makes empty instead of dumping or restoring them. */
  emptyNs: number;
  autoDedup: boolean;
  lazyPages: boolean;
}

export interface CheckpointOptions extends CriuOptions {
  /** Relative to imagesDir, as CRIU's parent_img is. */
  parentImage?: string;
  leaveRunning: boolean;
  preDump: boolean;
  pageServer?: { address: string; port: number };
  statusFd?: number;
}

export interface RestoreOptions extends CriuOptions {
  lsmProfile?: string;
  lsmMountContext?: string;
}

function commonOptions(flags: CriuFlags, cwd: string): CriuOptions {
  const mode = flags['manage-cgroups-mode'];
  if (mode !== undefined && mode !== '' && !(mode in MANAGE_CGROUPS_MODES)) {
    throw new KeelError(`--manage-cgroups-mode ${mode}: not a mode: use soft, full, strict or ignore`);
  }
  let emptyNs = CLONE_NEWNET;
  for (const ns of listOf(flags['empty-ns'])) {
    const bit = EMPTY_NS_FLAGS[ns];
    if (bit === undefined) throw new KeelError(`--empty-ns ${ns}: only "network" can be made empty`);
    emptyNs |= bit;
  }
  const imagePath = flags['image-path'];
  return {
    imagesDir: resolve(cwd, imagePath ? imagePath : 'checkpoint'),
    workDir: flags['work-path'] ? resolve(cwd, flags['work-path']) : undefined,
    tcpEstablished: flags['tcp-established'] ?? false,
    extUnixSk: flags['ext-unix-sk'] ?? false,
    shellJob: flags['shell-job'] ?? false,
    fileLocks: flags['file-locks'] ?? false,
    manageCgroupsMode: mode ? (mode as ManageCgroupsMode) : undefined,
    emptyNs,
    autoDedup: flags['auto-dedup'] ?? false,
    lazyPages: flags['lazy-pages'] ?? false,
  };
}

export function checkpointOptions(flags: CheckpointFlags, cwd: string): CheckpointOptions {
  const common = commonOptions(flags, cwd);
  const parent = flags['parent-path'];
  if (parent && isAbsolute(parent)) throw new KeelError(`--parent-path ${parent}: must be relative to --image-path (${common.imagesDir})`);
  const statusFd = flags['status-fd'];
  return {
    ...common,
    parentImage: parent ? parent : undefined,
    leaveRunning: flags['leave-running'] ?? false,
    preDump: flags['pre-dump'] ?? false,
    pageServer: flags['page-server'] ? pageServerOf(flags['page-server']) : undefined,
    statusFd: statusFd !== undefined && statusFd >= 0 ? statusFd : undefined,
  };
}

export function restoreOptions(flags: RestoreFlags, cwd: string): RestoreOptions {
  const profile = flags['lsm-profile'];
  if (profile && !/^[^:]+:.+$/.test(profile)) throw new KeelError(`--lsm-profile ${profile}: expected TYPE:NAME (apparmor:NAME or selinux:LABEL)`);
  return {
    ...commonOptions(flags, cwd),
    lsmProfile: profile ? profile : undefined,
    lsmMountContext: flags['lsm-mount-context'] ? flags['lsm-mount-context'] : undefined,
  };
}

/** The pre-dump a dump builds on, as a path (CRIU takes it relative to the image directory). */
export function parentImageDir(opts: CheckpointOptions): string | undefined {
  return opts.parentImage === undefined ? undefined : join(opts.imagesDir, opts.parentImage);
}

/** ADDRESS:PORT, with [..] around an IPv6 address, as runc's net.SplitHostPort reads it. */
export function pageServerOf(value: string): { address: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new KeelError(`--page-server ${value}: expected ADDRESS:PORT, such as 192.0.2.1:27`);
  return { address: m[1] ?? m[2]!, port };
}

function listOf(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
