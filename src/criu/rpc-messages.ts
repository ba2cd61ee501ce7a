/**
 * The messages of CRIU's RPC that keel sends and reads, field numbers as in CRIU's
 * images/rpc.proto (3.17). Only the fields keel uses are listed; the decoder skips the others.
 */
import type { Schema } from '../protobuf/proto2.js';

/** criu_req_type. */
export const ReqType = { EMPTY: 0, DUMP: 1, RESTORE: 2, CHECK: 3, PRE_DUMP: 4, NOTIFY: 6, VERSION: 10 } as const;

const PAGE_SERVER_INFO: Schema = [
  { n: 1, name: 'address', type: 'string' },
  { n: 2, name: 'port', type: 'int32' },
];

const EXT_MOUNT_MAP: Schema = [
  { n: 1, name: 'key', type: 'string' },
  { n: 2, name: 'val', type: 'string' },
];

const INHERIT_FD: Schema = [
  { n: 1, name: 'key', type: 'string' },
  { n: 2, name: 'fd', type: 'int32' },
];

const CGROUP_ROOT: Schema = [
  { n: 1, name: 'ctrl', type: 'string' },
  { n: 2, name: 'path', type: 'string' },
];

export const CRIU_OPTS: Schema = [
  { n: 1, name: 'imagesDirFd', type: 'int32' },
  { n: 2, name: 'pid', type: 'int32' },
  { n: 3, name: 'leaveRunning', type: 'bool' },
  { n: 4, name: 'extUnixSk', type: 'bool' },
  { n: 5, name: 'tcpEstablished', type: 'bool' },
  { n: 6, name: 'evasiveDevices', type: 'bool' },
  { n: 7, name: 'shellJob', type: 'bool' },
  { n: 8, name: 'fileLocks', type: 'bool' },
  { n: 9, name: 'logLevel', type: 'int32' },
  { n: 10, name: 'logFile', type: 'string' },
  { n: 11, name: 'ps', type: 'message', of: PAGE_SERVER_INFO },
  { n: 12, name: 'notifyScripts', type: 'bool' },
  { n: 13, name: 'root', type: 'string' },
  { n: 14, name: 'parentImg', type: 'string' },
  { n: 15, name: 'trackMem', type: 'bool' },
  { n: 16, name: 'autoDedup', type: 'bool' },
  { n: 17, name: 'workDirFd', type: 'int32' },
  { n: 18, name: 'linkRemap', type: 'bool' },
  { n: 23, name: 'extMnt', type: 'message', of: EXT_MOUNT_MAP, repeated: true },
  { n: 24, name: 'manageCgroups', type: 'bool' },
  { n: 25, name: 'cgRoot', type: 'message', of: CGROUP_ROOT, repeated: true },
  { n: 26, name: 'rstSibling', type: 'bool' },
  { n: 27, name: 'inheritFd', type: 'message', of: INHERIT_FD, repeated: true },
  { n: 29, name: 'extSharing', type: 'bool' },
  { n: 30, name: 'extMasters', type: 'bool' },
  { n: 31, name: 'skipMnt', type: 'string', repeated: true },
  { n: 34, name: 'manageCgroupsMode', type: 'enum' },
  { n: 37, name: 'external', type: 'string', repeated: true },
  { n: 38, name: 'emptyNs', type: 'uint32' },
  { n: 44, name: 'freezeCgroup', type: 'string' },
  { n: 48, name: 'lazyPages', type: 'bool' },
  { n: 49, name: 'statusFd', type: 'int32' },
  { n: 50, name: 'orphanPtsMaster', type: 'bool' },
  { n: 53, name: 'lsmProfile', type: 'string' },
  { n: 63, name: 'lsmMountContext', type: 'string' },
];

export const CRIU_REQ: Schema = [
  { n: 1, name: 'type', type: 'enum' },
  { n: 2, name: 'opts', type: 'message', of: CRIU_OPTS },
  { n: 3, name: 'notifySuccess', type: 'bool' },
  { n: 4, name: 'keepOpen', type: 'bool' },
];

const CRIU_VERSION: Schema = [
  { n: 1, name: 'major', type: 'int32' },
  { n: 2, name: 'minor', type: 'int32' },
  { n: 3, name: 'gitid', type: 'string' },
  { n: 4, name: 'sublevel', type: 'int32' },
];

export const CRIU_RESP: Schema = [
  { n: 1, name: 'type', type: 'enum' },
  { n: 2, name: 'success', type: 'bool' },
  { n: 3, name: 'dump', type: 'message', of: [{ n: 1, name: 'restored', type: 'bool' }] },
  { n: 4, name: 'restore', type: 'message', of: [{ n: 1, name: 'pid', type: 'int32' }] },
  { n: 5, name: 'notify', type: 'message', of: [{ n: 1, name: 'script', type: 'string' }, { n: 2, name: 'pid', type: 'int32' }] },
  { n: 7, name: 'crErrno', type: 'int32' },
  { n: 9, name: 'crErrmsg', type: 'string' },
  { n: 10, name: 'version', type: 'message', of: CRIU_VERSION },
];

/** criu_resp as keel reads it. */
export interface CriuResponse {
  type: number;
  success?: boolean;
  dump?: { restored?: boolean };
  restore?: { pid?: number };
  notify?: { script?: string; pid?: number };
  crErrno?: number;
  crErrmsg?: string;
  version?: { major?: number; minor?: number; gitid?: string; sublevel?: number };
}
