/**
 * The one wire layer under both syntaxes: the same field table encoded as protoc 3.21 (Debian 12's
 * protobuf-compiler) encodes it from a proto2 and from a proto3 file, with the types only one of
 * the two users had before (bytes, 64-bit integers, maps):
 *   printf '<text>' | protoc --encode=m p2.proto | xxd -p
 * p2.proto: syntax = "proto2"; message m { optional bytes b = 1; optional int64 i = 2;
 *   optional uint64 u = 3; repeated uint32 r = 4; map<string, string> labels = 5; optional bool f = 6; }
 * p3.proto: the same with syntax = "proto3" and no `optional`.
 */
import { describe, expect, it } from 'vitest';

import { decode, encode, PROTO2, PROTO3, type Schema } from '../../../src/protobuf/wire.js';

const M: Schema = [
  { n: 1, name: 'b', type: 'bytes' },
  { n: 2, name: 'i', type: 'int64' },
  { n: 3, name: 'u', type: 'uint64' },
  { n: 4, name: 'r', type: 'uint32', repeated: true },
  { n: 5, name: 'labels', type: 'map' },
  { n: 6, name: 'f', type: 'bool' },
];

// b: "" i: 0 u: 18446744073709551615 r: 1 r: 300 labels { key: "a" value: "1" } f: false
const value = { b: Buffer.alloc(0), i: 0n, u: 2n ** 64n - 1n, r: [1, 300], labels: { a: '1' }, f: false };
const proto2Bytes = '0a00100018ffffffffffffffffff01200120ac022a060a01611201313000';
const proto3Bytes = '18ffffffffffffffffff01220301ac022a060a0161120131';

describe('protobuf wire layer, proto2 and proto3 rules on one table', () => {
  it('proto2 sends every set field, empty and zero included, and repeated numbers one tag each', () => {
    expect(encode(M, value, PROTO2).toString('hex')).toBe(proto2Bytes);
  });

  it('proto3 leaves out defaults and packs repeated numbers', () => {
    expect(encode(M, value, PROTO3).toString('hex')).toBe(proto3Bytes);
  });

  it('proto2 decodes only what is on the wire; proto3 fills every field with its default', () => {
    // b: "\x00\xff" i: -3 u: 0 r: 7
    const sparse = Buffer.from('0a0200ff10fdffffffffffffffff0118002007', 'hex');
    expect(decode(M, sparse, PROTO2)).toEqual({ b: Buffer.from([0, 0xff]), i: -3n, u: 0n, r: [7] });
    expect(Object.keys(decode(M, sparse, PROTO2))).not.toContain('labels');
    expect(decode(M, sparse, PROTO3)).toEqual({ b: Buffer.from([0, 0xff]), i: -3n, u: 0n, r: [7], labels: {}, f: false });
  });

  it('either syntax reads both packed and unpacked repeated numbers, as protobuf requires of readers', () => {
    for (const syntax of [PROTO2, PROTO3]) {
      expect(decode(M, Buffer.from(proto2Bytes, 'hex'), syntax)).toEqual(value);
      expect(decode(M, Buffer.from(proto3Bytes, 'hex'), syntax)).toMatchObject({ u: value.u, r: value.r, labels: value.labels });
    }
  });
});
