/**
 * The protobuf messages the shim exchanges, as field tables (numbers and types from the .proto
 * files of ttrpc, containerd's api/runtime/task/v2/shim.proto, api/types, api/events and
 * api/services/ttrpc/events/v1; names in camelCase for JavaScript).
 */
import type { Schema } from '../protobuf/proto3.js';

export const Timestamp: Schema = [
  { n: 1, name: 'seconds', type: 'int64' },
  { n: 2, name: 'nanos', type: 'int32' },
];

export const Any: Schema = [
  { n: 1, name: 'typeUrl', type: 'string' },
  { n: 2, name: 'value', type: 'bytes' },
];

export const Empty: Schema = [];

/** google.rpc.Status, the error of a ttrpc response. */
export const Status: Schema = [
  { n: 1, name: 'code', type: 'int32' },
  { n: 2, name: 'message', type: 'string' },
  { n: 3, name: 'details', type: 'message', of: Any, repeated: true },
];

// ttrpc's envelope (request.proto).
const KeyValue: Schema = [
  { n: 1, name: 'key', type: 'string' },
  { n: 2, name: 'value', type: 'string' },
];
export const Request: Schema = [
  { n: 1, name: 'service', type: 'string' },
  { n: 2, name: 'method', type: 'string' },
  { n: 3, name: 'payload', type: 'bytes' },
  { n: 4, name: 'timeoutNano', type: 'int64' },
  { n: 5, name: 'metadata', type: 'message', of: KeyValue, repeated: true },
];
export const Response: Schema = [
  { n: 1, name: 'status', type: 'message', of: Status },
  { n: 2, name: 'payload', type: 'bytes' },
];

// containerd.types
export const Mount: Schema = [
  { n: 1, name: 'type', type: 'string' },
  { n: 2, name: 'source', type: 'string' },
  { n: 3, name: 'target', type: 'string' },
  { n: 4, name: 'options', type: 'string', repeated: true },
];
export const ProcessInfo: Schema = [
  { n: 1, name: 'pid', type: 'uint32' },
  { n: 2, name: 'info', type: 'message', of: Any },
];

/** containerd.v1.types.Status */
export enum TaskStatus {
  UNKNOWN = 0,
  CREATED = 1,
  RUNNING = 2,
  STOPPED = 3,
  PAUSED = 4,
  PAUSING = 5,
}

// containerd.task.v2 (shim.proto)
const idAndExec: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'execId', type: 'string' },
];
const idOnly: Schema = [{ n: 1, name: 'id', type: 'string' }];
const pidOnly: Schema = [{ n: 1, name: 'pid', type: 'uint32' }];

export const CreateTaskRequest: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'bundle', type: 'string' },
  { n: 3, name: 'rootfs', type: 'message', of: Mount, repeated: true },
  { n: 4, name: 'terminal', type: 'bool' },
  { n: 5, name: 'stdin', type: 'string' },
  { n: 6, name: 'stdout', type: 'string' },
  { n: 7, name: 'stderr', type: 'string' },
  { n: 8, name: 'checkpoint', type: 'string' },
  { n: 9, name: 'parentCheckpoint', type: 'string' },
  { n: 10, name: 'options', type: 'message', of: Any },
];
export const CreateTaskResponse = pidOnly;
export const DeleteRequest = idAndExec;
export const DeleteResponse: Schema = [
  { n: 1, name: 'pid', type: 'uint32' },
  { n: 2, name: 'exitStatus', type: 'uint32' },
  { n: 3, name: 'exitedAt', type: 'message', of: Timestamp },
];
export const ExecProcessRequest: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'execId', type: 'string' },
  { n: 3, name: 'terminal', type: 'bool' },
  { n: 4, name: 'stdin', type: 'string' },
  { n: 5, name: 'stdout', type: 'string' },
  { n: 6, name: 'stderr', type: 'string' },
  { n: 7, name: 'spec', type: 'message', of: Any },
];
export const ResizePtyRequest: Schema = [
  ...idAndExec,
  { n: 3, name: 'width', type: 'uint32' },
  { n: 4, name: 'height', type: 'uint32' },
];
export const StateRequest = idAndExec;
export const StateResponse: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'bundle', type: 'string' },
  { n: 3, name: 'pid', type: 'uint32' },
  { n: 4, name: 'status', type: 'enum' },
  { n: 5, name: 'stdin', type: 'string' },
  { n: 6, name: 'stdout', type: 'string' },
  { n: 7, name: 'stderr', type: 'string' },
  { n: 8, name: 'terminal', type: 'bool' },
  { n: 9, name: 'exitStatus', type: 'uint32' },
  { n: 10, name: 'exitedAt', type: 'message', of: Timestamp },
  { n: 11, name: 'execId', type: 'string' },
];
export const KillRequest: Schema = [
  ...idAndExec,
  { n: 3, name: 'signal', type: 'uint32' },
  { n: 4, name: 'all', type: 'bool' },
];
export const CloseIORequest: Schema = [...idAndExec, { n: 3, name: 'stdin', type: 'bool' }];
export const PidsRequest = idOnly;
export const PidsResponse: Schema = [{ n: 1, name: 'processes', type: 'message', of: ProcessInfo, repeated: true }];
export const CheckpointTaskRequest: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'path', type: 'string' },
  { n: 3, name: 'options', type: 'message', of: Any },
];
export const UpdateTaskRequest: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'resources', type: 'message', of: Any },
  { n: 3, name: 'annotations', type: 'map' },
];
export const StartRequest = idAndExec;
export const StartResponse = pidOnly;
export const WaitRequest = idAndExec;
export const WaitResponse: Schema = [
  { n: 1, name: 'exitStatus', type: 'uint32' },
  { n: 2, name: 'exitedAt', type: 'message', of: Timestamp },
];
export const StatsRequest = idOnly;
export const StatsResponse: Schema = [{ n: 1, name: 'stats', type: 'message', of: Any }];
export const ConnectRequest = idOnly;
export const ConnectResponse: Schema = [
  { n: 1, name: 'shimPid', type: 'uint32' },
  { n: 2, name: 'taskPid', type: 'uint32' },
  { n: 3, name: 'version', type: 'string' },
];
export const ShutdownRequest: Schema = [
  { n: 1, name: 'id', type: 'string' },
  { n: 2, name: 'now', type: 'bool' },
];
export const PauseRequest = idOnly;
export const ResumeRequest = idOnly;

// containerd.events (api/events/task.proto): what the shim publishes, by topic.
const TaskIO: Schema = [
  { n: 1, name: 'stdin', type: 'string' },
  { n: 2, name: 'stdout', type: 'string' },
  { n: 3, name: 'stderr', type: 'string' },
  { n: 4, name: 'terminal', type: 'bool' },
];
const containerIdOnly: Schema = [{ n: 1, name: 'containerId', type: 'string' }];

export const Events = {
  TaskCreate: {
    topic: '/tasks/create',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'bundle', type: 'string' },
      { n: 3, name: 'rootfs', type: 'message', of: Mount, repeated: true },
      { n: 4, name: 'io', type: 'message', of: TaskIO },
      { n: 5, name: 'checkpoint', type: 'string' },
      { n: 6, name: 'pid', type: 'uint32' },
    ],
  },
  TaskStart: {
    topic: '/tasks/start',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'pid', type: 'uint32' },
    ],
  },
  TaskDelete: {
    topic: '/tasks/delete',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'pid', type: 'uint32' },
      { n: 3, name: 'exitStatus', type: 'uint32' },
      { n: 4, name: 'exitedAt', type: 'message', of: Timestamp },
      { n: 5, name: 'id', type: 'string' },
    ],
  },
  TaskExit: {
    topic: '/tasks/exit',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'id', type: 'string' },
      { n: 3, name: 'pid', type: 'uint32' },
      { n: 4, name: 'exitStatus', type: 'uint32' },
      { n: 5, name: 'exitedAt', type: 'message', of: Timestamp },
    ],
  },
  TaskOOM: { topic: '/tasks/oom', schema: containerIdOnly },
  TaskExecAdded: {
    topic: '/tasks/exec-added',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'execId', type: 'string' },
    ],
  },
  TaskExecStarted: {
    topic: '/tasks/exec-started',
    schema: [
      { n: 1, name: 'containerId', type: 'string' },
      { n: 2, name: 'execId', type: 'string' },
      { n: 3, name: 'pid', type: 'uint32' },
    ],
  },
  TaskPaused: { topic: '/tasks/paused', schema: containerIdOnly },
  TaskResumed: { topic: '/tasks/resumed', schema: containerIdOnly },
} satisfies Record<string, { topic: string; schema: Schema }>;

export type EventName = keyof typeof Events;

/** The type URL containerd's typeurl package gives a registered protobuf message: its full name. */
export function eventTypeUrl(name: EventName): string {
  return `containerd.events.${name}`;
}

// containerd.services.events.ttrpc.v1: how a shim forwards events to containerd.
export const Envelope: Schema = [
  { n: 1, name: 'timestamp', type: 'message', of: Timestamp },
  { n: 2, name: 'namespace', type: 'string' },
  { n: 3, name: 'topic', type: 'string' },
  { n: 4, name: 'event', type: 'message', of: Any },
];
export const ForwardRequest: Schema = [{ n: 1, name: 'envelope', type: 'message', of: Envelope }];

/** A protobuf Timestamp for a JavaScript time in milliseconds. */
export function timestampOf(ms: number): { seconds: bigint; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: BigInt(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

/** containerd.runc.v1.Options: what ctr and the CRI plugin send as CreateTaskRequest.options (the fields keel uses). */
export const RuncOptions: Schema = [
  { n: 2, name: 'noNewKeyring', type: 'bool' },
  { n: 3, name: 'shimCgroup', type: 'string' },
  { n: 4, name: 'ioUid', type: 'uint32' },
  { n: 5, name: 'ioGid', type: 'uint32' },
  { n: 7, name: 'root', type: 'string' },
  { n: 9, name: 'systemdCgroup', type: 'bool' },
];

/**
 * runtimeoptions.v1.Options (containerd's pkg/runtimeoptions/v1): what ctr --runtime-config-path
 * and the CRI plugin send for a runtime type other than runc's, on start's stdin and as
 * CreateTaskRequest.options. keel reads ConfigPath (its shim config); 1.7's ConfigBody is not read.
 */
export const RuntimeOptions: Schema = [
  { n: 1, name: 'typeUrl', type: 'string' },
  { n: 2, name: 'configPath', type: 'string' },
];
