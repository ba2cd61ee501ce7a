/**
 * A conversation with CRIU in its RPC mode, as runc holds it: `criu swrk 3`, with keel's end of a
 * SOCK_SEQPACKET pair as CRIU's fd 3; one criu_req message out, criu_resp messages back. On the way
 * CRIU may stop at a notify point ("pre-dump", "network-lock", "setup-namespaces", "post-restore",
 * ...) and wait for keel's answer (a NOTIFY request, notify_success true when keel's part went well).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, readSync, writeSync } from 'node:fs';
import { once } from 'node:events';

import { peekFd, seqpacketPair } from '../native/libkeel.js';
import { KeelError } from '../util/errors.js';
import { decode, encode, type Message } from '../protobuf/proto2.js';
import { CRIU_REQ, CRIU_RESP, ReqType, type CriuResponse } from './rpc-messages.js';

/** CRIU's responses are small (no images go over the socket); runc reads them into 40 KiB. */
const MAX_RESPONSE = 1 << 20;

/**
 * Called at each notify point; throwing fails the notify, and CRIU then fails the request. `fd` is
 * an fd CRIU sent with the notify (the restored terminal's master at "orphan-pts-master"): the
 * handler owns it and closes it.
 */
export type NotifyHandler = (script: string, pid: number | undefined, fd: number | undefined) => void | Promise<void>;

export class CriuSwrk {
  private constructor(
    private readonly sock: number,
    private readonly child: ChildProcess,
    private readonly binary: string,
  ) {}

  /** `extraFds` become CRIU's fds 4, 5, ... (after the socket at 3): what inherit_fd entries name. */
  static start(binary: string, extraFds: readonly number[] = []): CriuSwrk {
    const [ours, theirs] = seqpacketPair();
    let child: ChildProcess;
    try {
      // keel's stdio is CRIU's: a restore hands it on (inherit_fd) in place of the init's old pipes.
      child = spawn(binary, ['swrk', '3'], { stdio: ['inherit', 'inherit', 'inherit', theirs, ...extraFds] });
    } finally {
      closeSync(theirs);
    }
    // A binary that cannot run also emits 'error'; the missing pid below is how keel reports it.
    child.on('error', () => {});
    if (child.pid === undefined) {
      closeSync(ours);
      throw new KeelError(`cannot start "${binary} swrk": it did not run (install the criu package, or name its binary with --criu PATH)`);
    }
    return new CriuSwrk(ours, child, binary);
  }

  /** CRIU's pid: a restore moves it into the new container's cgroup first, so what it restores starts there. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one request and answers CRIU's notifies until its final response, which is returned. */
  async request(req: Message, onNotify?: NotifyHandler): Promise<CriuResponse> {
    this.send(req);
    for (;;) {
      // A notify may carry an fd, which a plain read of the message would drop.
      const fd = peekFd(this.sock, `an fd from "${this.binary} swrk"`);
      const resp = this.receive();
      if (resp.type !== ReqType.NOTIFY || !onNotify) {
        if (fd !== undefined) closeSync(fd);
        if (resp.type !== ReqType.NOTIFY) return resp;
      }
      let ok = true;
      try {
        await onNotify?.(resp.notify?.script ?? '', resp.notify?.pid, fd);
      } catch (err) {
        ok = false;
        this.send({ type: ReqType.NOTIFY, notifySuccess: false });
        throw err;
      } finally {
        if (ok) this.send({ type: ReqType.NOTIFY, notifySuccess: true });
      }
    }
  }

  /** Closes keel's end (CRIU then exits) and waits for CRIU to be gone. */
  async close(): Promise<void> {
    closeSync(this.sock);
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'exit');
  }

  private send(req: Message): void {
    const data = encode(CRIU_REQ, req);
    if (writeSync(this.sock, data) !== data.length) throw new KeelError(`cannot send a request to "${this.binary} swrk": the message was cut`);
  }

  private receive(): CriuResponse {
    const buf = Buffer.alloc(MAX_RESPONSE);
    let n: number;
    try {
      n = readSync(this.sock, buf);
    } catch (err) {
      throw new KeelError(`cannot read CRIU's answer: ${(err as Error).message}`);
    }
    if (n === 0) throw new KeelError(`"${this.binary} swrk" exited without answering (its log says why)`);
    return decode(CRIU_RESP, buf.subarray(0, n)) as unknown as CriuResponse;
  }
}

/** CRIU's version through its RPC ("3.17.1"). */
export async function criuVersion(binary: string): Promise<string> {
  const criu = CriuSwrk.start(binary);
  try {
    const resp = await criu.request({ type: ReqType.VERSION });
    if (!resp.success || !resp.version) throw new KeelError(`"${binary} swrk" did not tell its version`);
    const v = resp.version;
    return `${v.major}.${v.minor}${v.sublevel ? `.${v.sublevel}` : ''}`;
  } finally {
    await criu.close();
  }
}
