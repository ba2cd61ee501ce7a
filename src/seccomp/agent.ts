/**
 * SCMP_ACT_NOTIFY: the notify fd goes to the seccomp agent listening at linux.seccomp.listenerPath,
 * in one message with the runtime-spec's container process state (JSON payload, the fd as
 * SCM_RIGHTS, named "seccompFd" in `fds`). keel-init hands the fd to keel; keel sends it on.
 */
import { closeSync } from 'node:fs';

import { connectUnix, sendFd } from '../native/libkeel.js';
import { ConfigError } from '../spec/problem.js';
import type { ContainerStatus, LinuxSeccomp, Spec } from '../spec/types.js';

export interface ContainerProcessState {
  ociVersion: string;
  fds: string[];
  /** The process the filter applies to, in keel's PID namespace. */
  pid: number;
  metadata?: string;
  state: { ociVersion: string; id: string; status: ContainerStatus; pid: number; bundle: string; annotations?: Record<string, string> };
}

export function containerProcessState(spec: Spec, id: string, bundle: string, status: ContainerStatus, initPid: number, pid: number): ContainerProcessState {
  const seccomp = spec.linux?.seccomp;
  const state: ContainerProcessState['state'] = { ociVersion: spec.ociVersion, id, status, pid: initPid, bundle };
  if (spec.annotations) state.annotations = spec.annotations;
  const cps: ContainerProcessState = { ociVersion: spec.ociVersion, fds: ['seccompFd'], pid, state };
  if (seccomp?.listenerMetadata) cps.metadata = seccomp.listenerMetadata;
  return cps;
}

export function sendToAgent(seccomp: LinuxSeccomp | undefined, fd: number, state: ContainerProcessState): void {
  const path = seccomp?.listenerPath;
  if (!path) throw new ConfigError('/linux/seccomp/listenerPath', 'missing, but the filter notifies a seccomp agent');
  let socket: number;
  try {
    socket = connectUnix(path);
  } catch (err) {
    throw new ConfigError('/linux/seccomp/listenerPath', `cannot reach the seccomp agent at ${path}: ${(err as Error).message.replace(/^connect to [^:]*: /, '')} (is the agent running?)`);
  }
  try {
    sendFd(socket, JSON.stringify(state), fd);
  } finally {
    closeSync(socket);
  }
}
