/**
 * `keel exec`: run one more process inside a running container, with the container's
 * namespaces, cgroups and process attributes unless the caller overrides them.
 */
import { closeSync, existsSync, readFileSync, readlinkSync } from 'node:fs';

import { managedCgroupOf } from '../cgroups/select-driver.js';
import { canRaiseHardLimits, ownHardLimit } from '../host/limits.js';
import { compileExecPlan } from '../plan/compile-exec.js';
import { ConfigError, pointerUnder, type ReportProblem } from '../spec/problem.js';
import { sessionKeyringName } from '../plan/compile.js';
import { joinResctrl } from './resctrl.js';
import { readMemoryNodes } from '../host/facts.js';
import { SyncTag } from '../plan/ops.js';
import type { LinuxNamespaceType, Process } from '../spec/types.js';
import type { StateRecord } from '../state/record.js';
import type { StateStore } from '../state/store.js';
import { KeelError, fsError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { log } from '../util/log.js';
import { testStopPoint } from '../util/test-stop-point.js';
import { readLsmFacts } from '../host/lsm.js';
import { NS_FILES } from '../host/namespaces.js';
import { passwdHome } from '../host/passwd.js';
import { containerProcessState, sendToAgent } from '../seccomp/agent.js';
import { checkCallerFds } from './caller-fds.js';
import { dropConsoleSocket, openConsoleSocket, takeMaster } from './console.js';
import { InitSession } from './init-session.js';
import { exitCodeOf, waitForegroundProcess } from './run.js';

export interface ExecOptions {
  /** runc's --apparmor and --process-label: the profile or label for this process. */
  apparmor?: string;
  processLabel?: string;
  id: string;
  /** A process.json (runtime-spec Process); otherwise the container's own process with the overrides below. */
  processFile?: string;
  args: string[];
  env: string[];
  cwd?: string;
  user?: string;
  additionalGids: number[];
  caps: string[];
  noNewPrivs: boolean;
  tty: boolean;
  consoleSocket?: string;
  detach: boolean;
  pidFile?: string;
  preserveFds: number;
  ignorePaused: boolean;
  /** runc's --cgroup values, [controllers:]path of an existing sub-cgroup. */
  cgroups: string[];
  /** The process itself, as the shim receives it (instead of processFile or the overrides). */
  process?: Process;
  /** The process's stdin, stdout and stderr, when not keel's own (the shim's fifos). */
  stdio?: readonly [number, number, number];
}

export interface ExecutedProcess {
  pid: number;
  /** The pty master, when keel relays the process's terminal itself (a terminal without --console-socket). */
  master?: number;
  process: Process;
}

/** The container's namespaces that are not keel's own (joining one's own user namespace fails). */
export function namespacesToJoin(pid: number): Partial<Record<LinuxNamespaceType, string>> {
  const join: Partial<Record<LinuxNamespaceType, string>> = {};
  for (const [type, file] of Object.entries(NS_FILES) as [LinuxNamespaceType, string][]) {
    const theirs = `/proc/${pid}/ns/${file}`;
    try {
      if (readlinkSync(theirs) !== readlinkSync(`/proc/self/ns/${file}`)) join[type] = theirs;
    } catch {
      // A kernel without this namespace type: nothing to join.
    }
  }
  return join;
}

/** The process to run: a process.json as given, or the container's process with the CLI's overrides. */
export function execProcess(record: StateRecord, opts: ExecOptions): Process {
  if (opts.process) return opts.process;
  if (opts.processFile) {
    try {
      return JSON.parse(readFileSync(opts.processFile, 'utf8')) as Process;
    } catch (err) {
      if (err instanceof SyntaxError) throw new KeelError(`${opts.processFile}: invalid JSON: ${err.message}`);
      throw fsError('cannot read the process file', opts.processFile, err);
    }
  }
  if (!opts.args.length) throw new KeelError('exec needs a command to run (after the container id), or --process FILE');
  const base = record.config.process!;
  const proc: Process = { ...base, args: opts.args, terminal: opts.tty, env: [...(base.env ?? []), ...opts.env] };
  if (opts.cwd) proc.cwd = opts.cwd;
  if (opts.user) {
    const [uid, gid] = opts.user.split(':');
    if (!/^\d+$/.test(uid ?? '') || (gid !== undefined && !/^\d+$/.test(gid))) throw new KeelError(`--user "${opts.user}": use uid or uid:gid, in numbers`);
    // A uid alone keeps the container's gid, as with runc.
    proc.user = { ...base.user, uid: Number(uid), gid: gid !== undefined ? Number(gid) : (base.user?.gid ?? 0) };
  }
  if (opts.additionalGids.length) proc.user = { ...(proc.user ?? { uid: 0, gid: 0 }), additionalGids: opts.additionalGids };
  if (opts.caps.length) {
    const add = (set?: string[]) => [...new Set([...(set ?? []), ...opts.caps])];
    const c = base.capabilities ?? {};
    proc.capabilities = { ...c, bounding: add(c.bounding), effective: add(c.effective), permitted: add(c.permitted) };
  }
  if (opts.noNewPrivs) proc.noNewPrivileges = true;
  if (opts.apparmor) proc.apparmorProfile = opts.apparmor;
  if (opts.processLabel) proc.selinuxLabel = opts.processLabel;
  return proc;
}

/**
 * Where a fault in the exec'd process is reported: the compiler names fields of config.json
 * ("/process/user/uid"), but here they come from the --process file, from a flag, or from the
 * container's config: name the one the user wrote.
 */
export function execProblemSink(opts: Pick<ExecOptions, 'id' | 'processFile' | 'user' | 'additionalGids' | 'env' | 'cwd' | 'args'>): ReportProblem {
  return (path, message) => {
    const field = pointerUnder('/process', path);
    if (opts.processFile) throw new ConfigError(field, message, opts.processFile);
    const flag = flagFor(field, opts);
    if (flag) throw new KeelError(`${flag}: ${message}`);
    throw new ConfigError(path, message, `config.json of container "${opts.id}"`);
  };
}

function flagFor(field: string, opts: Pick<ExecOptions, 'user' | 'additionalGids' | 'env' | 'cwd'>): string | undefined {
  if (opts.user && /^\/user\/(uid|gid)$/.test(field)) return `--user ${JSON.stringify(opts.user)}`;
  if (opts.additionalGids.length && field.startsWith('/user/additionalGids')) return '--additional-gids';
  if (opts.cwd !== undefined && field === '/cwd') return '--cwd';
  if (opts.env.length && field.startsWith('/env/')) return '--env';
  if (field.startsWith('/args')) return 'the command';
  return undefined;
}

export async function execInContainer(store: StateStore, opts: ExecOptions): Promise<number> {
  const { pid, master, process: proc } = await startExecProcess(store, opts);
  if (opts.detach) return 0;
  if (master !== undefined) {
    // As in run: node:tty (and with it net and stream) is loaded only when there is a terminal to relay.
    const { relayTerminal } = await import('./terminal-relay.js');
    return exitCodeOf(await relayTerminal(master, () => waitForegroundProcess(pid, undefined, { relayingTerminal: true }), { consoleSize: proc.consoleSize }));
  }
  return exitCodeOf(await waitForegroundProcess(pid));
}

/**
 * Starts a process in the container and returns once it runs its program: its PID (a child of
 * keel's), and the pty master when keel is to relay its terminal (no --console-socket given).
 */
export async function startExecProcess(store: StateStore, opts: ExecOptions): Promise<ExecutedProcess> {
  checkCallerFds({ listening: 0, preserved: opts.preserveFds });
  const record = store.read(opts.id);
  const status = store.status(record);
  if (status === 'paused' && !opts.ignorePaused) {
    throw new KeelError(`cannot exec in container "${opts.id}": it is paused (resume it first, or pass --ignore-paused)`);
  }
  if (status !== 'running' && status !== 'created' && status !== 'paused') throw new KeelError(`cannot exec in container "${opts.id}": it is ${status}`);
  const proc = execProcess(record, opts);
  const limited = !canRaiseHardLimits();
  const plan = compileExecPlan({
    process: proc,
    namespaces: namespacesToJoin(record.pid!),
    host: { rlimitCeiling: (name) => (limited ? ownHardLimit(name) : undefined), homeOf: (uid) => passwdHome(`/proc/${record.pid}/root`, uid), memoryNodes: readMemoryNodes() },
    preserveFds: opts.preserveFds,
    consoleFd: proc.terminal ? 3 + opts.preserveFds + 1 : undefined,
    seccomp: record.config.linux?.seccomp,
    personality: record.config.linux?.personality,
    memoryPolicy: record.config.linux?.memoryPolicy,
    lsm: readLsmFacts(),
    report: execProblemSink(opts),
    sessionKeyring: record.noNewKeyring ? undefined : sessionKeyringName(record.id),
  });
  for (const warning of plan.warnings) log().warn(warning);

  // A foreground exec without --console-socket gets the caller's terminal relayed, as with runc;
  // a detached one would leave nobody holding it (the shim, which passes stdio, relays it itself).
  if (proc.terminal && !opts.consoleSocket && opts.detach && !opts.stdio) {
    throw new KeelError('a terminal (--tty or process.terminal) with --detach needs --console-socket: keel passes the terminal to whoever listens there');
  }
  // Checked before keel-init starts: a bad --cgroup leaves nothing behind.
  const cgroup = managedCgroupOf(record);
  const cgroupDirs = cgroup.execDirs(opts.cgroups);
  const missing = cgroupDirs.find((dir) => !existsSync(dir));
  if (missing) {
    const hint = opts.cgroups.length ? ': create the sub-cgroup first (exec --cgroup joins one, it does not make it)' : '';
    throw new KeelError(`cannot exec in container "${opts.id}": its cgroup ${missing} does not exist${hint}`);
  }
  const consoleSock = proc.terminal ? await openConsoleSocket(opts.consoleSocket) : undefined;
  let session: InitSession;
  try {
    session = InitSession.start(plan.ops, consoleSock ? [consoleSock.initFd] : [], opts.preserveFds, opts.stdio);
  } catch (err) {
    dropConsoleSocket(consoleSock);
    throw err;
  } finally {
    if (consoleSock) closeSync(consoleSock.initFd);
  }
  let pid: number;
  let master: number | undefined;
  try {
    pid = await session.untilExecuted({
      onSync: (tag, waiting) => {
        if (tag !== SyncTag.CGROUP) throw new KeelError(`keel-init waited at an unexpected sync point (${tag})`);
        cgroup.join(waiting, cgroupDirs);
        if (record.resctrl) joinResctrl(record.resctrl, waiting);
        testStopPoint('exec-sync-cgroup');
      },
      // The exec'd process gets the container's filter, and the agent a fd for it (as with runc).
      onSeccompFd: (fd, waiting) => sendToAgent(record.config.linux?.seccomp, fd, containerProcessState(record.config, record.id, record.bundle, 'running', record.pid!, waiting)),
    });
    // The process has passed the console op: a master for keel to relay is waiting.
    master = await takeMaster(consoleSock);
  } catch (err) {
    dropConsoleSocket(consoleSock);
    session.abort();
    throw err;
  }
  session.close();
  log().debug(`exec in ${opts.id}: process ${pid} started`);
  if (opts.pidFile) writeFileAtomic(opts.pidFile, String(pid));
  return { pid, master, process: proc };
}
