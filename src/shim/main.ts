/**
 * containerd-shim-keel-v1: keel as a containerd runtime v2 shim (`--runtime io.containerd.keel.v1`).
 * containerd runs it three ways (runtime/v2/README.md): `start` finds or starts the long-lived
 * shim for the container's group and prints its address; `delete` cleans up after a shim that
 * is gone; without an action it is that long-lived shim, serving containerd.task.v2.Task over
 * ttrpc on the socket `start` bound and passed as fd 3.
 */
import { spawn } from 'node:child_process';
import { chmodSync, constants, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

import { deleteContainer } from '../container/delete.js';
import { StateStore } from '../state/store.js';
import { errnoCode } from '../util/errors.js';
import { log, Logger, setLogger } from '../util/log.js';
import { groupOf, parseShimFlags, socketAddress, socketPath, SOCKET_DIR, type ShimFlags } from './address.js';
import { DeleteResponse, timestampOf } from './messages.js';
import { shimNodeFlags } from './node-flags.js';
import { encode } from '../protobuf/proto3.js';
import { Publisher } from './publisher.js';
import { Reaper } from './reaper.js';
import { unmountRootfs } from './rootfs.js';
import { rootOfBundle, TaskService } from './task-service.js';
import { TtrpcServer } from './ttrpc.js';

function listen(path: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(path);
    const timer = setTimeout(() => (socket.destroy(), resolve(false)), 100);
    socket.once('connect', () => (clearTimeout(timer), socket.destroy(), resolve(true)));
    socket.once('error', () => (clearTimeout(timer), resolve(false)));
  });
}

/** The "address" file in the bundle, written atomically as containerd's shims do. */
function writeAddress(address: string): void {
  writeFileSync('.address', address);
  renameSync('.address', 'address');
}

/** `start`: the address of the group's shim, started here unless it already runs. */
async function start(flags: ShimFlags): Promise<void> {
  const config = JSON.parse(readFileSync('config.json', 'utf8')) as { annotations?: Record<string, string> };
  const address = socketAddress(flags.address, flags.namespace, groupOf(flags.id, config.annotations));
  const path = socketPath(address);
  mkdirSync(SOCKET_DIR, { recursive: true, mode: 0o711 });
  let server: net.Server;
  try {
    server = await listen(path);
  } catch (err) {
    if (errnoCode(err) !== 'EADDRINUSE') throw err;
    if (await canConnect(path)) {
      // Another container of the same pod: its shim serves this one too.
      writeAddress(address);
      process.stdout.write(address);
      return;
    }
    unlinkSync(path);
    server = await listen(path);
  }
  chmodSync(path, 0o600);
  writeAddress(address);
  // containerd reads the shim's log from the bundle's "log" fifo (it holds the read end open).
  let logFd: number | 'ignore' = 'ignore';
  try {
    logFd = openSync('log', constants.O_WRONLY | constants.O_NONBLOCK);
  } catch {
    // No reader: the shim logs nowhere.
  }
  const args = ['-namespace', flags.namespace, '-id', flags.id, '-address', flags.address, '-publish-binary', flags.publishBinary];
  if (flags.debug) args.push('-debug');
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  const child = spawn(process.execPath, [...shimNodeFlags(), process.argv[1]!, ...args], { cwd: process.cwd(), detached: true, stdio: ['ignore', 'ignore', logFd, fd] });
  child.unref();
  adjustOomScore(child.pid!);
  process.stdout.write(address);
}

/** The shim is a little easier for the OOM killer to pick than containerd, as containerd's shims are. */
function adjustOomScore(pid: number): void {
  try {
    const parent = Number(readFileSync(`/proc/${process.ppid}/oom_score_adj`, 'utf8'));
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(Math.min(parent + 1, 1000)));
  } catch (err) {
    log().debug(`cannot adjust the shim's OOM score: ${(err as Error).message}`);
  }
}

/** `delete`: what a shim that is gone left behind (its container, the rootfs mount), reported as a DeleteResponse. */
async function deleteAfterShim(flags: ShimFlags): Promise<void> {
  const bundle = flags.bundle || process.cwd();
  const store = new StateStore(rootOfBundle(bundle, flags.namespace));
  let pid = 0;
  try {
    pid = store.read(flags.id).pid ?? 0;
  } catch {
    // Never created, or already deleted.
  }
  try {
    await deleteContainer(store, flags.id, true);
  } catch (err) {
    log().warn(`delete container "${flags.id}": ${(err as Error).message}`);
  }
  unmountRootfs(bundle);
  process.stdout.write(encode(DeleteResponse, { pid, exitStatus: 128 + 9, exitedAt: timestampOf(Date.now()) }));
}

/** The long-lived shim: serves the Task API until Shutdown leaves it nothing to do. */
function serve(flags: ShimFlags): void {
  const reaper = new Reaper();
  reaper.start();
  const publisher = new Publisher({
    namespace: flags.namespace,
    ttrpcAddress: process.env.TTRPC_ADDRESS,
    publishBinary: flags.publishBinary,
    containerdAddress: flags.address,
  });
  const listener = net.createServer();
  const server = new TtrpcServer();
  server.serve(listener);
  // `start` wrote it before starting this shim; the bundle it sits in may be gone by the end.
  const ownSocket = socketPath(readFileSync('address', 'utf8'));
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    // The Shutdown answer and the last events go out first.
    void publisher.flushed().then(() =>
      setTimeout(() => {
        try {
          unlinkSync(ownSocket);
        } catch {
          // Already gone.
        }
        process.exit(0);
      }, 10),
    );
  };
  const service = new TaskService({ namespace: flags.namespace, publisher, reaper, onShutdown: exit });
  service.register(server);
  listener.listen({ fd: 3 });
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  // A client that goes away mid-write must not end the shim.
  process.on('SIGPIPE', () => {});
  process.on('uncaughtException', (err) => log().error(`containerd-shim-keel-v1: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log().error(`containerd-shim-keel-v1: ${(err as Error)?.stack ?? String(err)}`));
}

async function main(): Promise<number> {
  let flags: ShimFlags;
  try {
    flags = parseShimFlags(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  // containerd reads start's stdout and stderr together as the address: start says nothing else.
  setLogger(new Logger(undefined, 'text', flags.debug && flags.action !== 'start'));
  if (flags.action === 'version') {
    process.stdout.write(`${join(process.argv[1] ?? 'containerd-shim-keel-v1')}:\n  Version: keel\n`);
    return 0;
  }
  if (!flags.namespace) {
    process.stderr.write('shim namespace cannot be empty\n');
    return 1;
  }
  try {
    if (flags.action === 'start') await start(flags);
    else if (flags.action === 'delete') await deleteAfterShim(flags);
    else if (flags.action === '') {
      serve(flags);
      return -1;
    } else throw new Error(`unknown action "${flags.action}": use start or delete`);
    return 0;
  } catch (err) {
    process.stderr.write(`containerd-shim-keel-v1: ${(err as Error).message}\n`);
    return 1;
  }
}

void main().then((code) => {
  // start and delete end here (start must not close the socket it handed over: Node would unlink it).
  if (code >= 0) process.exit(code);
});
