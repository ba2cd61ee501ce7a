/**
 * systemd socket activation passed through to the container, as runc does for `create` and
 * `run`: when keel itself was activated (LISTEN_FDS set and LISTEN_PID naming keel, the
 * sd_listen_fds(3) protocol), the listening fds 3..3+N-1 go to the container at the same numbers,
 * ahead of the --preserve-fds ones, and its process learns of them from LISTEN_FDS=N and
 * LISTEN_PID=1 (it is PID 1 in its namespace). `exec` passes none, as with runc: the exec'd
 * process is not PID 1, and the sockets belong to the container's service.
 */
import type { Process } from '../spec/types.js';

/** How many fds systemd (or a caller speaking its protocol) passed to the process `ownPid`. */
export function activationFds(env: NodeJS.ProcessEnv, ownPid: number): number {
  const fds = env.LISTEN_FDS;
  const pid = env.LISTEN_PID;
  if (!fds || !/^\d+$/.test(fds) || !pid || !/^\d+$/.test(pid)) return 0;
  // Inherited by mistake from an activated parent: those fds are not keel's to pass on.
  if (Number(pid) !== ownPid) return 0;
  return Number(fds);
}

/** The container's process with the activation variables that tell it about `count` fds. */
export function withActivationEnv(proc: Process, count: number): Process {
  if (!count) return proc;
  const env = (proc.env ?? []).filter((e) => !e.startsWith('LISTEN_FDS=') && !e.startsWith('LISTEN_PID='));
  return { ...proc, env: [...env, `LISTEN_FDS=${count}`, 'LISTEN_PID=1'] };
}
