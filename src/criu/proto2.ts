/**
 * Protocol buffers in proto2's manner, for CRIU's rpc.proto: a field is sent when it is present in
 * the value (not undefined), whatever its value, because proto2 tells a false `leave_running` or a
 * zero fd from an absent one. Messages are described by field tables, beside the .proto text they
 * mirror (rpc-messages.ts). Repeated numbers go unpacked, proto2's default, which CRIU's protobuf-c
 * reads either way.
 *
 * The shim (src/shim/protobuf.ts, not on main yet) has a proto3 codec of the same shape; proto3
 * leaves out zeros and falses, which CRIU's required fields and explicit defaults cannot take.
 */

export type Scalar = 'string' | 'bool' | 'int32' | 'uint32' | 'enum';

export type Field =
  | { n: number; name: string; type: Scalar; repeated?: boolean }
  | { n: number; name: string; type: 'message'; of: Schema; repeated?: boolean };

export type Schema = readonly Field[];

/** A message as a plain object: field name to value; absent fields are absent (undefined). */
export type Message = Record<string, unknown>;

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

function varint(value: number): Buffer {
  // int32's negative values go out as ten bytes of 64-bit two's complement, as protobuf does.
  let v = BigInt.asUintN(64, BigInt(value));
  const bytes: number[] = [];
  while (v >= 0x80n) {
    bytes.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  bytes.push(Number(v));
  return Buffer.from(bytes);
}

const tag = (n: number, wire: number) => varint((n << 3) | wire);

function lengthDelimited(n: number, data: Buffer): Buffer {
  return Buffer.concat([tag(n, LENGTH), varint(data.length), data]);
}

function encodeOne(field: Field, value: unknown): Buffer {
  switch (field.type) {
    case 'message':
      return lengthDelimited(field.n, encode(field.of, value as Message));
    case 'string':
      return lengthDelimited(field.n, Buffer.from(String(value), 'utf8'));
    case 'bool':
      return Buffer.concat([tag(field.n, VARINT), varint(value ? 1 : 0)]);
    default:
      return Buffer.concat([tag(field.n, VARINT), varint(value as number)]);
  }
}

/** Encodes the fields of `value` that are present, in the table's order. */
export function encode(schema: Schema, value: Message): Buffer {
  const parts: Buffer[] = [];
  for (const field of schema) {
    const v = value[field.name];
    if (v === undefined) continue;
    for (const item of field.repeated ? (v as unknown[]) : [v]) parts.push(encodeOne(field, item));
  }
  return Buffer.concat(parts);
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
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new ProtobufError('truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return BigInt.asUintN(64, result);
    }
    throw new ProtobufError('varint longer than 10 bytes');
  }

  take(length: number): Buffer {
    if (this.pos + length > this.buf.length) throw new ProtobufError('field runs past the end of the message');
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

function number(type: Scalar, raw: bigint): number | boolean {
  if (type === 'bool') return raw !== 0n;
  if (type === 'int32') return Number(BigInt.asIntN(32, raw));
  return Number(BigInt.asUintN(32, raw));
}

/** Decodes `buf` by `schema`: fields that are not on the wire stay absent; unknown ones are skipped. */
export function decode(schema: Schema, buf: Buffer): Message {
  const out: Message = {};
  const byNumber = new Map(schema.map((f) => [f.n, f]));
  const r = new Reader(buf);
  while (!r.done) {
    const key = Number(r.varint());
    const field = byNumber.get(key >>> 3);
    const wire = key & 7;
    if (!field) {
      r.skip(wire);
      continue;
    }
    const values: unknown[] = [];
    if (field.type === 'message' || field.type === 'string') {
      if (wire !== LENGTH) throw new ProtobufError(`field ${field.name}: expected length-delimited data`);
      const data = r.take(Number(r.varint()));
      values.push(field.type === 'message' ? decode(field.of, data) : data.toString('utf8'));
    } else if (wire === LENGTH) {
      const packed = new Reader(r.take(Number(r.varint())));
      while (!packed.done) values.push(number(field.type, packed.varint()));
    } else if (wire === VARINT) {
      values.push(number(field.type, r.varint()));
    } else {
      throw new ProtobufError(`field ${field.name}: unexpected wire type ${wire}`);
    }
    if (field.repeated) out[field.name] = [...((out[field.name] as unknown[] | undefined) ?? []), ...values];
    else out[field.name] = values[values.length - 1];
  }
  return out;
}
