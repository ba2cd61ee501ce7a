/**
 * A connection to a D-Bus message bus (the system bus by default): SASL EXTERNAL authentication
 * as this process's uid, Hello, method calls that wait for their reply with a bound, and signals
 * handed to whoever listens. Only what keel's systemd driver needs: no fd passing, no object
 * export. The socket does not keep Node alive by itself: a pending call's timer does.
 */
import { connect, type Socket } from 'node:net';

import { KeelError, errnoCode } from '../util/errors.js';
import { strerror } from '../util/errno.js';
import { decodeMessage, encodeMessage, messageLength, MessageType, type Message } from './message.js';

const SYSTEM_BUS = '/run/dbus/system_bus_socket';

/** A D-Bus error reply: its name (org.freedesktop.systemd1.NoSuchUnit) and message. */
export class DbusError extends KeelError {
  constructor(
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/** The unix socket of DBUS_SYSTEM_BUS_ADDRESS (its first unix:path= entry), or the well-known one. */
export function systemBusPath(address = process.env.DBUS_SYSTEM_BUS_ADDRESS): string {
  for (const entry of (address ?? '').split(';')) {
    const [transport, params = ''] = entry.split(/:(.*)/s);
    if (transport !== 'unix') continue;
    for (const kv of params.split(',')) {
      const [key, value] = kv.split(/=(.*)/s);
      if (key === 'path' && value) return decodeURIComponent(value);
    }
  }
  return SYSTEM_BUS;
}

export interface CallOptions {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
  /** How long to wait for the reply (ms). */
  timeoutMs: number;
}

type Pending = { resolve: (m: Message) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; what: string };

export class DbusConnection {
  private serial = 0;
  private readonly pending = new Map<number, Pending>();
  private readonly signalListeners = new Set<(m: Message) => void>();
  private buffered: Buffer = Buffer.alloc(0);
  private closedWith: Error | undefined;
  /** The name the bus gave this connection (":1.42"), from Hello. */
  uniqueName = '';

  private constructor(
    private readonly socket: Socket,
    readonly busPath: string,
  ) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (err) => this.fail(new KeelError(`D-Bus ${busPath}: ${reason(err)}`)));
    socket.on('close', () => this.fail(new KeelError(`D-Bus ${busPath}: the bus closed the connection`)));
  }

  /** Connects, authenticates and says Hello; fails within `timeoutMs`, naming the socket. */
  static async open(busPath: string, timeoutMs: number): Promise<DbusConnection> {
    const socket = await withTimeout(authenticate(busPath), timeoutMs, `D-Bus ${busPath}: no answer to authentication within ${timeoutMs / 1000} s`);
    const conn = new DbusConnection(socket, busPath);
    socket.unref();
    const [name] = await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', timeoutMs });
    conn.uniqueName = String(name);
    return conn;
  }

  /** A method call's reply body; an error reply rejects with a DbusError. */
  call(o: CallOptions): Promise<unknown[]> {
    const what = `${o.interface}.${o.member}`;
    if (this.closedWith) return Promise.reject(this.closedWith);
    const serial = ++this.serial;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(serial);
        reject(new KeelError(`D-Bus: no reply to ${what} from ${o.destination} within ${o.timeoutMs / 1000} s`));
      }, o.timeoutMs);
      this.pending.set(serial, { resolve, reject, timer, what });
      const m: Message = { type: MessageType.MethodCall, serial, destination: o.destination, path: o.path, interface: o.interface, member: o.member };
      if (o.signature) Object.assign(m, { signature: o.signature, body: o.body ?? [] });
      try {
        this.socket.write(encodeMessage(m));
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(serial);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    }).then((reply) => {
      if (reply.type === MessageType.Error) {
        const text = typeof reply.body?.[0] === 'string' ? (reply.body[0] as string) : reply.errorName!;
        throw new DbusError(reply.errorName ?? 'org.freedesktop.DBus.Error.Failed', `${what}: ${text}`);
      }
      return reply.body ?? [];
    });
  }

  /** Every signal this connection receives (after an AddMatch for it); returns the unsubscribe. */
  onSignal(listener: (m: Message) => void): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  close(): void {
    this.fail(new KeelError(`D-Bus ${this.busPath}: connection closed`));
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    try {
      for (;;) {
        const length = messageLength(this.buffered);
        if (length === undefined || this.buffered.length < length) return;
        const message = decodeMessage(this.buffered.subarray(0, length));
        this.buffered = this.buffered.subarray(length);
        this.dispatch(message);
      }
    } catch (err) {
      this.fail(new KeelError(`D-Bus ${this.busPath}: unreadable message: ${(err as Error).message}`));
      this.socket.destroy();
    }
  }

  private dispatch(m: Message): void {
    if (m.type === MessageType.Signal) {
      for (const listener of this.signalListeners) listener(m);
      return;
    }
    const p = m.replySerial === undefined ? undefined : this.pending.get(m.replySerial);
    if (!p) return;
    this.pending.delete(m.replySerial!);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private fail(err: Error): void {
    this.closedWith ??= err;
    for (const [serial, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(serial);
      p.reject(new KeelError(`${err.message} (waiting for the reply to ${p.what})`));
    }
  }
}

/**
 * The SASL exchange: a NUL byte, AUTH EXTERNAL with the uid in hex of its decimal digits, OK, BEGIN.
 * Resolves with the socket once the bus accepted us; the bytes after BEGIN are messages.
 */
function authenticate(busPath: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(busPath);
    let text = '';
    const failed = (why: string) => {
      socket.destroy();
      reject(new KeelError(`D-Bus ${busPath}: ${why}`));
    };
    socket.once('error', (err) => failed(reason(err)));
    socket.once('connect', () => {
      const uid = Buffer.from(String(process.getuid?.() ?? 0), 'ascii').toString('hex');
      socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
    });
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const end = text.indexOf('\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.removeAllListeners('error');
      const line = text.slice(0, end);
      if (!line.startsWith('OK ')) return failed(`the bus refused EXTERNAL authentication: "${line}"`);
      // The bus sends nothing more before BEGIN, so no message bytes can be in `text`.
      socket.write('BEGIN\r\n');
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new KeelError(message)), ms)))]).finally(() => clearTimeout(timer));
}

/** A socket error in words: "No such file or directory" rather than "connect ENOENT /path". */
function reason(err: Error): string {
  const code = errnoCode(err);
  return code ? strerror(code) : err.message;
}
