/**
 * Protocol buffers (proto3) on the wire, driven by field tables: enough for ttrpc's envelope and
 * the containerd messages the shim speaks (src/shim/messages.ts). Written from the encoding's
 * definition (varints, zigzag-free integers, length-delimited strings, bytes and messages)
 * rather than taken from a library: the shim needs two dozen flat messages, and a table per
 * message keeps each one next to the .proto text it mirrors.
 *
 * Values are plain objects. proto3 leaves out a field at its default (0, "", false, empty), so
 * decoding fills every field of the table with its default first: a reader never sees undefined.
 */

export type Scalar = 'string' | 'bytes' | 'bool' | 'uint32' | 'int32' | 'enum' | 'uint64' | 'int64';

export type Field =
  | { n: number; name: string; type: Scalar; repeated?: boolean }
  | { n: number; name: string; type: 'message'; of: Schema; repeated?: boolean }
  /** map<string, string>: on the wire, a repeated message of key = 1, value = 2. */
  | { n: number; name: string; type: 'map' };

export type Schema = readonly Field[];

/** A decoded message: field name to value (bigint for 64-bit integers, Buffer for bytes). */
export type Message = Record<string, unknown>;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

const MAP_ENTRY: Schema = [
  { n: 1, name: 'key', type: 'string' },
  { n: 2, name: 'value', type: 'string' },
];

class Writer {
  private chunks: Buffer[] = [];
  private length = 0;

  push(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }

  varint(value: bigint): void {
    // Negative int32/int64 go out as their 64-bit two's complement (ten bytes), as protobuf does.
    let v = BigInt.asUintN(64, value);
    const bytes: number[] = [];
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
    this.push(Buffer.from(bytes));
  }

  tag(n: number, wire: number): void {
    this.varint(BigInt((n << 3) | wire));
  }

  bytes(n: number, data: Buffer): void {
    this.tag(n, LENGTH);
    this.varint(BigInt(data.length));
    this.push(data);
  }

  finish(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function isDefault(field: Field, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (field.type === 'message') return false; // a present sub-message is sent, even when empty
  if (field.type === 'map') return Object.keys(value as object).length === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (field.type === 'bytes') return (value as Buffer).length === 0;
  return value === '' || value === 0 || value === 0n || value === false;
}

function writeScalar(w: Writer, n: number, type: Scalar, value: unknown): void {
  switch (type) {
    case 'string':
      w.bytes(n, Buffer.from(String(value), 'utf8'));
      return;
    case 'bytes':
      w.bytes(n, value as Buffer);
      return;
    case 'bool':
      w.tag(n, VARINT);
      w.varint(value ? 1n : 0n);
      return;
    default:
      w.tag(n, VARINT);
      w.varint(BigInt(value as number | bigint));
  }
}

/** Encodes `value` by `schema`, fields in the table's order (protobuf's own encoders use field order too). */
export function encode(schema: Schema, value: Message): Buffer {
  const w = new Writer();
  for (const field of schema) {
    const v = value[field.name];
    if (isDefault(field, v)) continue;
    if (field.type === 'map') {
      for (const [key, val] of Object.entries(v as Record<string, string>)) w.bytes(field.n, encode(MAP_ENTRY, { key, value: val }));
      continue;
    }
    if (field.repeated && field.type !== 'message' && field.type !== 'string' && field.type !== 'bytes') {
      // proto3 packs repeated numbers: one length-delimited run of varints.
      const packed = new Writer();
      for (const item of v as unknown[]) packed.varint(field.type === 'bool' ? (item ? 1n : 0n) : BigInt(item as number | bigint));
      w.bytes(field.n, packed.finish());
      continue;
    }
    const items = field.repeated ? (v as unknown[]) : [v];
    for (const item of items) {
      if (field.type === 'message') w.bytes(field.n, encode(field.of, item as Message));
      else writeScalar(w, field.n, field.type, item);
    }
  }
  return w.finish();
}

export class ProtobufError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      if (shift > 63n) throw new ProtobufError('varint longer than 10 bytes');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, result);
    }
  }

  take(length: number): Buffer {
    if (length < 0 || this.pos + length > this.buf.length) throw new ProtobufError('field runs past the end of the message');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.take(8);
    else if (wire === LENGTH) this.take(Number(this.varint()));
    else if (wire === FIXED32) this.take(4);
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

function defaultOf(field: Field): unknown {
  if (field.type === 'map') return {};
  if (field.repeated) return [];
  switch (field.type) {
    case 'string':
      return '';
    case 'bytes':
      return Buffer.alloc(0);
    case 'bool':
      return false;
    case 'uint64':
    case 'int64':
      return 0n;
    case 'message':
      return undefined;
    default:
      return 0;
  }
}

function scalarFrom(type: Scalar, raw: bigint | Buffer): unknown {
  switch (type) {
    case 'string':
      return (raw as Buffer).toString('utf8');
    case 'bytes':
      return Buffer.from(raw as Buffer);
    case 'bool':
      return raw !== 0n;
    case 'uint32':
    case 'enum':
      return Number(BigInt.asUintN(32, raw as bigint));
    case 'int32':
      return Number(BigInt.asIntN(32, raw as bigint));
    case 'uint64':
      return raw as bigint;
    case 'int64':
      return BigInt.asIntN(64, raw as bigint);
  }
}

/** Decodes `buf` by `schema`; unknown fields are skipped, as protobuf requires. */
export function decode(schema: Schema, buf: Buffer): Message {
  const out: Message = {};
  const byNumber = new Map<number, Field>();
  for (const field of schema) {
    out[field.name] = defaultOf(field);
    byNumber.set(field.n, field);
  }
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const n = tag >>> 3;
    const wire = tag & 7;
    const field = byNumber.get(n);
    if (!field) {
      r.skip(wire);
      continue;
    }
    if (field.type === 'map') {
      if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected a map entry`);
      const entry = decode(MAP_ENTRY, r.take(Number(r.varint())));
      (out[field.name] as Record<string, string>)[entry.key as string] = entry.value as string;
      continue;
    }
    let value: unknown;
    if (field.type === 'message') {
      if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected a message`);
      value = decode(field.of, r.take(Number(r.varint())));
    } else if (field.type === 'string' || field.type === 'bytes') {
      if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected length-delimited data`);
      value = scalarFrom(field.type, r.take(Number(r.varint())));
    } else if (wire === LENGTH && field.repeated) {
      // A packed repeated scalar: varints one after another.
      const packed = new Reader(r.take(Number(r.varint())));
      while (!packed.done) (out[field.name] as unknown[]).push(scalarFrom(field.type, packed.varint()));
      continue;
    } else if (wire === VARINT) {
      value = scalarFrom(field.type, r.varint());
    } else {
      throw new ProtobufError(`field ${field.name}: unexpected wire type ${wire}`);
    }
    if (field.repeated) (out[field.name] as unknown[]).push(value);
    else out[field.name] = value;
  }
  return out;
}
