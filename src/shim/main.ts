/**
 * containerd-shim-keel-v1: keel as a containerd runtime v2 shim (`--runtime io.containerd.keel.v1`).
 * containerd runs it three ways (runtime/v2/README.md): `start` finds or starts the long-lived
 * shim for the container's group and prints its address, which the static program containerd
 * runs (native/launch/shim.c) does itself, without Node; it execs node on this file for the other
 * two: `delete` cleans up after a shim that is gone; without an action it is that long-lived
 * shim, serving containerd.task.v2.Task over ttrpc on the socket start bound and passed as fd 3.
 */
import { readFileSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

import { deleteContainer } from '../container/delete.js';
import { StateStore } from '../state/store.js';
import { log, Logger, setLogger } from '../util/log.js';
import { parseShimFlags, socketPath, type ShimFlags } from './address.js';
import { IdleExit } from './idle-exit.js';
import { DeleteResponse, timestampOf } from './messages.js';
import { encode } from '../protobuf/proto3.js';
import { Publisher } from './publisher.js';
import { Reaper } from './reaper.js';
import { unmountRootfs } from './rootfs.js';
import { rootOfBundle, TaskService } from './task-service.js';
import { TtrpcServer } from './ttrpc.js';

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

/**
 * How long a shim with nothing left to serve waits after the last connection before it ends
 * (idle-exit.ts): longer than a start takes to answer containerd and containerd to connect.
 */
const LINGER_MS = 2000;

/** How long an ending shim waits for its last events to reach containerd. */
const FLUSH_MS = 2000;

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
  // stderr is the first container's bundle's "log" fifo: containerd stops reading it when that
  // container is deleted, while the shim may serve others of its group for long after.
  process.stderr.on('error', () => {});
  // `start` wrote it before starting this shim; the bundle it sits in may be gone by the end.
  const ownSocket = socketPath(readFileSync('address', 'utf8'));
  let exiting = false;
  const exit = () => {
    if (exiting) return;
    exiting = true;
    const exitAsked = Date.now();
    // The name goes first, so that a start from now on starts a new shim instead of handing
    // containerd this one; the Shutdown answer and the last events still go out.
    try {
      unlinkSync(ownSocket);
    } catch {
      // Already gone.
    }
    // At most FLUSH_MS for them: a containerd that does not answer must not keep the shim alive.
    const bounded = new Promise<void>((resolve) => setTimeout(resolve, FLUSH_MS));
    void Promise.race([publisher.flushed(), bounded]).then(() => {
      log().debug(`shim exits ${Date.now() - exitAsked} ms after it was asked to`);
      setTimeout(() => process.exit(0), 10);
    });
  };
  const idle = new IdleExit({ busy: () => service.taskCount > 0, exit, lingerMs: LINGER_MS });
  listener.on('connection', (socket) => idle.connected(socket));
  const service = new TaskService({ namespace: flags.namespace, publisher, reaper, onShutdown: (now) => idle.requested(now) });
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
  // KEEL_SHIM_DEBUG_LOG (in containerd's environment) sends the debug lines, each step with its
  // time, to a file of their own: the shim's stderr is its first container's log fifo.
  const debugLog = process.env.KEEL_SHIM_DEBUG_LOG || undefined;
  setLogger(new Logger(debugLog, 'text', flags.debug || debugLog !== undefined));
  if (flags.action === 'version') {
    process.stdout.write(`${join(process.argv[1] ?? 'containerd-shim-keel-v1')}:\n  Version: keel\n`);
    return 0;
  }
  if (!flags.namespace) {
    process.stderr.write('shim namespace cannot be empty\n');
    return 1;
  }
  try {
    if (flags.action === 'start') throw new Error('start is answered by the containerd-shim-keel-v1 program itself (native/launch/shim.c), not by this script');
    if (flags.action === 'delete') await deleteAfterShim(flags);
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
  // delete and version end here; the long-lived shim when Shutdown leaves it nothing to do.
  if (code >= 0) process.exit(code);
});
