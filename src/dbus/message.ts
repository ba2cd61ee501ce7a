/**
 * D-Bus messages (the specification's "Message Format"), pure: a message to bytes, and the
 * complete messages at the start of a stream's bytes back. Little-endian only when writing;
 * either order would need a second reader, and every peer keel talks to (dbus-daemon, systemd)
 * answers a little-endian client in its own order, which on the hosts keel runs on is little-endian.
 */
import { DbusMarshalError, Reader, Writer, type Variant } from './marshal.js';

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** NO_REPLY_EXPECTED: the peer sends no reply (keel sets it on nothing it waits for). */
export const FLAG_NO_REPLY_EXPECTED = 1;

export interface Message {
  type: MessageType;
  flags?: number;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature?: string;
  body?: unknown[];
}

/** Header field codes and their types. */
const FIELDS = [
  [1, 'path', 'o'],
  [2, 'interface', 's'],
  [3, 'member', 's'],
  [4, 'errorName', 's'],
  [5, 'replySerial', 'u'],
  [6, 'destination', 's'],
  [7, 'sender', 's'],
  [8, 'signature', 'g'],
] as const;

/** The longest message the specification allows (128 MiB). */
const MAX_MESSAGE = 128 * 1024 * 1024;

export function encodeMessage(m: Message): Buffer {
  const body = new Writer(0); // the body starts 8-aligned, so its alignment is the message's
  if (m.signature) body.writeAll(m.signature, m.body ?? []);
  const bodyBytes = body.bytes();
  const header = new Writer(0);
  header.write('y', 'l'.charCodeAt(0));
  header.write('y', m.type);
  header.write('y', m.flags ?? 0);
  header.write('y', 1); // protocol version
  header.write('u', bodyBytes.length);
  header.write('u', m.serial);
  const fields: [number, Variant][] = [];
  for (const [code, key, signature] of FIELDS) {
    const value = m[key];
    if (value !== undefined && value !== '') fields.push([code, { signature, value }]);
  }
  header.write('a(yv)', fields);
  header.align(8);
  return Buffer.concat([header.bytes(), bodyBytes]);
}

/**
 * The length of the message at the start of `buf`, once its fixed header is there; undefined
 * while fewer than 16 bytes have arrived.
 */
export function messageLength(buf: Buffer): number | undefined {
  if (buf.length < 16) return undefined;
  if (buf[0] !== 0x6c) throw new DbusMarshalError(`a big-endian message (or not D-Bus at all): first byte 0x${buf[0]!.toString(16)}`);
  const bodyLength = buf.readUInt32LE(4);
  const fieldsLength = buf.readUInt32LE(12);
  const headerLength = 16 + fieldsLength + ((8 - (fieldsLength % 8)) % 8);
  const total = headerLength + bodyLength;
  if (total > MAX_MESSAGE) throw new DbusMarshalError(`a message of ${total} bytes, over D-Bus's limit`);
  return total;
}

/** The message that fills `buf` exactly (messageLength's bytes). */
export function decodeMessage(buf: Buffer): Message {
  const r = new Reader(buf, 0);
  r.read('y'); // byte order, checked by messageLength
  const type = r.read('y') as MessageType;
  const flags = r.read('y') as number;
  const version = r.read('y');
  if (version !== 1) throw new DbusMarshalError(`D-Bus protocol version ${String(version)}, not 1`);
  const bodyLength = r.read('u') as number;
  const serial = r.read('u') as number;
  const m: Message = { type, flags, serial };
  for (const [code, v] of r.read('a(yv)') as [number, Variant][]) {
    const field = FIELDS.find(([c]) => c === code);
    if (field) (m as unknown as Record<string, unknown>)[field[1]] = v.value;
  }
  r.align(8);
  const body = new Reader(buf.subarray(r.pos, r.pos + bodyLength), 0);
  m.body = m.signature ? body.readAll(m.signature) : [];
  return m;
}
