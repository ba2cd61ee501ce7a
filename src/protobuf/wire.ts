/**
 * Protocol buffers on the wire, driven by field tables: the one codec behind the shim's proto3
 * (containerd's ttrpc messages, src/shim/messages.ts) and CRIU's proto2 (rpc.proto,
 * src/criu/rpc-messages.ts). Written from the encoding's definition (varints, tags,
 * length-delimited strings, bytes and messages) rather than taken from a library: each user needs
 * a few dozen flat messages, and a table per message keeps each one next to the .proto text it
 * mirrors.
 *
 * What proto2 and proto3 do differently is a `Syntax` handed to encode and decode with the table
 * (proto2.ts and proto3.ts bind one each), so the tables stay plain lists of fields.
 */

export type Scalar = 'string' | 'bytes' | 'bool' | 'uint32' | 'int32' | 'enum' | 'uint64' | 'int64';

export type Field =
  | { n: number; name: string; type: Scalar; repeated?: boolean }
  | { n: number; name: string; type: 'message'; of: Schema; repeated?: boolean }
  /** map<string, string>: on the wire, a repeated message of key = 1, value = 2. */
  | { n: number; name: string; type: 'map' };

export type Schema = readonly Field[];

/** A message as a plain object: field name to value (bigint for 64-bit integers, Buffer for bytes). */
export type Message = Record<string, unknown>;

/** The rules on which proto2 and proto3 differ. */
export interface Syntax {
  /**
   * 'implicit' (proto3): a field at its default (0, '', false, empty) is not sent, and decoding
   * gives every field of the table, at its default when absent, so a reader never sees undefined.
   * 'explicit' (proto2): a field is sent whenever it is set, false and 0 included (CRIU's required
   * fields and explicit defaults need them), and decoding gives only the fields on the wire.
   */
  presence: 'implicit' | 'explicit';
  /** Repeated numbers as one length-delimited run of varints (proto3) or one tag each (proto2). Readers take both. */
  packed: boolean;
}

export const PROTO3: Syntax = { presence: 'implicit', packed: true };
export const PROTO2: Syntax = { presence: 'explicit', packed: false };

export class ProtobufError extends Error {}

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

  lengthDelimited(): Buffer {
    return this.take(Number(this.varint()));
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === FIXED64) this.take(8);
    else if (wire === LENGTH) this.lengthDelimited();
    else if (wire === FIXED32) this.take(4);
    else throw new ProtobufError(`unsupported wire type ${wire}`);
  }
}

const isNumeric = (type: Field['type']) => type !== 'string' && type !== 'bytes' && type !== 'message' && type !== 'map';

const numberOf = (type: Scalar, value: unknown): bigint => (type === 'bool' ? (value ? 1n : 0n) : BigInt(value as number | bigint));

/** proto3's "not sent": unset, or at the type's default. A present sub-message is sent, even when empty. */
function isDefault(field: Field, value: unknown): boolean {
  if (field.type === 'message' && !Array.isArray(value)) return false;
  if (field.type === 'map') return Object.keys(value as object).length === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (field.type === 'bytes') return (value as Buffer).length === 0;
  return value === '' || value === 0 || value === 0n || value === false;
}

function writeOne(w: Writer, field: Exclude<Field, { type: 'map' }>, value: unknown, syntax: Syntax): void {
  switch (field.type) {
    case 'message':
      w.bytes(field.n, encode(field.of, value as Message, syntax));
      return;
    case 'string':
      w.bytes(field.n, Buffer.from(String(value), 'utf8'));
      return;
    case 'bytes':
      w.bytes(field.n, value as Buffer);
      return;
    default:
      w.tag(field.n, VARINT);
      w.varint(numberOf(field.type, value));
  }
}

/** Encodes `value` by `schema`, fields in the table's order (protobuf's own encoders use field order too). */
export function encode(schema: Schema, value: Message, syntax: Syntax): Buffer {
  const w = new Writer();
  for (const field of schema) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    if (syntax.presence === 'implicit' && isDefault(field, v)) continue;
    if (field.type === 'map') {
      for (const [key, val] of Object.entries(v as Record<string, string>)) w.bytes(field.n, encode(MAP_ENTRY, { key, value: val }, syntax));
    } else if (field.repeated && syntax.packed && isNumeric(field.type)) {
      const run = new Writer();
      for (const item of v as unknown[]) run.varint(numberOf(field.type as Scalar, item));
      w.bytes(field.n, run.finish());
    } else {
      for (const item of field.repeated ? (v as unknown[]) : [v]) writeOne(w, field, item, syntax);
    }
  }
  return w.finish();
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

function numberFrom(type: Scalar, raw: bigint): unknown {
  switch (type) {
    case 'bool':
      return raw !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, raw));
    case 'uint64':
      return raw;
    case 'int64':
      return BigInt.asIntN(64, raw);
    default:
      return Number(BigInt.asUintN(32, raw));
  }
}

/** The values one occurrence of `field` carries on the wire (several for a packed run). */
function readValues(r: Reader, field: Exclude<Field, { type: 'map' }>, wire: number, syntax: Syntax): unknown[] {
  if (field.type === 'message' || field.type === 'string' || field.type === 'bytes') {
    if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected length-delimited data`);
    const data = r.lengthDelimited();
    if (field.type === 'message') return [decode(field.of, data, syntax)];
    return [field.type === 'string' ? data.toString('utf8') : Buffer.from(data)];
  }
  if (wire === LENGTH && field.repeated) {
    const run = new Reader(r.lengthDelimited());
    const values: unknown[] = [];
    while (!run.done) values.push(numberFrom(field.type, run.varint()));
    return values;
  }
  if (wire === VARINT) return [numberFrom(field.type, r.varint())];
  throw new ProtobufError(`field ${field.name}: unexpected wire type ${wire}`);
}

/** Decodes `buf` by `schema`; unknown fields are skipped, as protobuf requires. */
export function decode(schema: Schema, buf: Buffer, syntax: Syntax): Message {
  const out: Message = {};
  const byNumber = new Map<number, Field>();
  for (const field of schema) {
    if (syntax.presence === 'implicit') out[field.name] = defaultOf(field);
    byNumber.set(field.n, field);
  }
  const r = new Reader(buf);
  while (!r.done) {
    const key = Number(r.varint());
    const field = byNumber.get(key >>> 3);
    const wire = key & 7;
    if (!field) {
      r.skip(wire);
      continue;
    }
    if (field.type === 'map') {
      if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected a map entry`);
      // An entry's key or value left out is '', in either syntax (map entries have no presence).
      const entry = decode(MAP_ENTRY, r.lengthDelimited(), PROTO3);
      const map = (out[field.name] ??= {}) as Record<string, unknown>;
      map[entry.key as string] = entry.value;
      continue;
    }
    const values = readValues(r, field, wire, syntax);
    if (field.repeated) ((out[field.name] ??= []) as unknown[]).push(...values);
    else out[field.name] = values[values.length - 1];
  }
  return out;
}
