/**
 * ttrpc, containerd's RPC for shims: each message is a 10-byte header (payload length, stream
 * id, both big-endian uint32; message type; flags) then a protobuf payload. A request (type 1)
 * carries ttrpc.Request {service, method, payload}; its answer (type 2, same stream id) carries
 * ttrpc.Response {status, payload}. Clients use odd stream ids. Streams and data messages
 * (type 3) are not used by the shim API and are refused.
 */
import net from 'node:net';

import { Request, Response } from './messages.js';
import { decode, encode, type Message } from '../protobuf/proto3.js';
import { log } from '../util/log.js';

export const HEADER_LENGTH = 10;
/** ttrpc's limit on a message; larger ones are answered with an error and discarded. */
export const MESSAGE_LENGTH_MAX = 4 << 20;

export enum MessageType {
  REQUEST = 1,
  RESPONSE = 2,
  DATA = 3,
}

/** gRPC status codes, which containerd maps to its errdefs (NotFound, AlreadyExists, ...). */
export enum Code {
  OK = 0,
  UNKNOWN = 2,
  INVALID_ARGUMENT = 3,
  NOT_FOUND = 5,
  ALREADY_EXISTS = 6,
  FAILED_PRECONDITION = 9,
  UNIMPLEMENTED = 12,
  INTERNAL = 13,
}

export interface Frame {
  streamId: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export function encodeFrame(frame: Frame): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  header.writeUInt32BE(frame.payload.length, 0);
  header.writeUInt32BE(frame.streamId, 4);
  header.writeUInt8(frame.type, 8);
  header.writeUInt8(frame.flags, 9);
  return Buffer.concat([header, frame.payload]);
}

/**
 * Splits a byte stream into frames. A frame longer than MESSAGE_LENGTH_MAX is skipped and
 * reported through `onOversized`, as ttrpc does (the connection stays usable).
 */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private discarding = 0;

  constructor(private readonly onOversized: (streamId: number, length: number) => void = () => {}) {}

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    for (;;) {
      if (this.discarding) {
        const n = Math.min(this.discarding, this.pending.length);
        this.discarding -= n;
        this.pending = this.pending.subarray(n);
        if (this.discarding) break;
      }
      if (this.pending.length < HEADER_LENGTH) break;
      const length = this.pending.readUInt32BE(0);
      const streamId = this.pending.readUInt32BE(4);
      if (length > MESSAGE_LENGTH_MAX) {
        this.onOversized(streamId, length);
        this.pending = this.pending.subarray(HEADER_LENGTH);
        this.discarding = length;
        continue;
      }
      if (this.pending.length < HEADER_LENGTH + length) break;
      frames.push({
        streamId,
        type: this.pending.readUInt8(8),
        flags: this.pending.readUInt8(9),
        payload: Buffer.from(this.pending.subarray(HEADER_LENGTH, HEADER_LENGTH + length)),
      });
      this.pending = this.pending.subarray(HEADER_LENGTH + length);
    }
    return frames;
  }
}

/** An error a method answers with: its gRPC code reaches containerd, which maps it to errdefs. */
export class RpcError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

export interface RequestContext {
  metadata: Map<string, string[]>;
}

/** A method: decoded request in, response message out (its schema given at registration). */
export type Handler = (req: Message, ctx: RequestContext) => Promise<Message> | Message;

interface Method {
  request: import('../protobuf/proto3.js').Schema;
  response: import('../protobuf/proto3.js').Schema;
  handler: Handler;
}

export class TtrpcServer {
  private readonly methods = new Map<string, Method>();
  private readonly connections = new Set<net.Socket>();
  /** Called when an answer has been written (Shutdown exits only after its answer is out). */
  onIdle?: () => void;

  register(service: string, name: string, request: Method['request'], response: Method['response'], handler: Handler): void {
    this.methods.set(`${service}/${name}`, { request, response, handler });
  }

  /** Serves on a listening server (its connections get this protocol). */
  serve(server: net.Server): void {
    server.on('connection', (socket) => this.accept(socket));
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  accept(socket: net.Socket): void {
    this.connections.add(socket);
    const reply = (streamId: number, response: Message) =>
      socket.write(encodeFrame({ streamId, type: MessageType.RESPONSE, flags: 0, payload: encode(Response, response) }));
    const reader = new FrameReader((streamId, length) =>
      reply(streamId, { status: { code: Code.INVALID_ARGUMENT, message: `message length ${length} exceeds maximum message size of ${MESSAGE_LENGTH_MAX}` } }),
    );
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        if (frame.type !== (MessageType.REQUEST as number)) continue; // no streams in the shim API
        void this.dispatch(frame).then((response) => reply(frame.streamId, response));
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.connections.delete(socket));
  }

  /** Answers one request; never throws (a failure becomes the response's status). */
  async dispatch(frame: Frame): Promise<Message> {
    let req: Message;
    try {
      req = decode(Request, frame.payload);
    } catch (err) {
      return { status: { code: Code.INVALID_ARGUMENT, message: `bad ttrpc request: ${(err as Error).message}` } };
    }
    const name = `${String(req.service)}/${String(req.method)}`;
    const method = this.methods.get(name);
    if (!method) return { status: { code: Code.UNIMPLEMENTED, message: `${name}: method not implemented by containerd-shim-keel-v1` } };
    const metadata = new Map<string, string[]>();
    for (const kv of req.metadata as { key: string; value: string }[]) metadata.set(kv.key, [...(metadata.get(kv.key) ?? []), kv.value]);
    try {
      const body = decode(method.request, req.payload as Buffer);
      log().debug(`${String(req.method)} called`);
      const result = await method.handler(body, { metadata });
      log().debug(`${String(req.method)} answered`);
      return { payload: encode(method.response, result) };
    } catch (err) {
      const code = err instanceof RpcError ? err.code : Code.UNKNOWN;
      return { status: { code, message: (err as Error).message } };
    }
  }
}

/** A ttrpc client on a unix socket (the shim's side of containerd's events service). */
export class TtrpcClient {
  private socket: net.Socket | undefined;
  private nextStream = 1;
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();

  constructor(private readonly path: string) {}

  private connect(): Promise<net.Socket> {
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.path);
      const reader = new FrameReader();
      socket.once('connect', () => {
        this.socket = socket;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => {
        for (const frame of reader.push(chunk)) {
          const w = this.waiting.get(frame.streamId);
          if (!w) continue;
          this.waiting.delete(frame.streamId);
          w.resolve(decode(Response, frame.payload));
        }
      });
      const fail = (err: Error) => {
        reject(err);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
      };
      socket.on('error', fail);
      socket.on('close', () => fail(new Error(`ttrpc connection to ${this.path} closed`)));
    });
  }

  /**
   * Calls service/method; resolves with the response payload, rejects with the status' message,
   * or after timeoutMs without an answer (the peer, containerd, may be stuck; callers retry).
   */
  async call(service: string, method: string, payload: Buffer, metadata: Record<string, string> = {}, timeoutMs = 5000): Promise<Buffer> {
    const socket = await this.connect();
    const streamId = this.nextStream;
    this.nextStream += 2;
    const request = encode(Request, { service, method, payload, metadata: Object.entries(metadata).map(([key, value]) => ({ key, value })) });
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<Message>((resolve, reject) => {
      this.waiting.set(streamId, { resolve, reject });
      timer = setTimeout(() => {
        this.waiting.delete(streamId);
        reject(new Error(`ttrpc ${service}/${method}: no answer from ${this.path} in ${timeoutMs} ms`));
      }, timeoutMs);
    });
    socket.write(encodeFrame({ streamId, type: MessageType.REQUEST, flags: 0, payload: request }));
    const response = await answer.finally(() => clearTimeout(timer));
    const status = response.status as { code: number; message: string } | undefined;
    if (status && status.code !== (Code.OK as number)) throw new RpcError(status.code, status.message);
    return response.payload as Buffer;
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}
