/**
 * The shim's protobuf codec against bytes produced by protoc 3.21 (Debian's protobuf-compiler):
 * `protoc --encode` of the same field numbers and types as containerd's shim.proto and ttrpc's
 * request.proto, from the text shown beside each vector.
 */
import { describe, expect, it } from 'vitest';

import { CreateTaskRequest, Request, StateResponse, TaskStatus, UpdateTaskRequest } from '../../../src/shim/messages.js';
import { decode, encode, ProtobufError, type Schema } from '../../../src/protobuf/proto3.js';

const hex = (s: string) => Buffer.from(s, 'hex');

describe('protobuf codec, byte for byte with protoc', () => {
  // id: "demo" bundle: "/run/b/demo" rootfs { type: "overlay" source: "overlay" options: "index=off"
  // options: "lowerdir=/l" } terminal: true stdout: "/f/out" options { type_url: "containerd.runc.v1.Options" value: "\x0a\x01x" }
  const createVector = hex(
    '0a0464656d6f120b2f72756e2f622f64656d6f1a2a0a076f7665726c617912076f7665726c61792209696e6465783d6f6666220b6c6f7765726469723d2f6c200132062f662f6f757452210a1a636f6e7461696e6572642e72756e632e76312e4f7074696f6e7312030a0178',
  );
  const create = {
    id: 'demo',
    bundle: '/run/b/demo',
    rootfs: [{ type: 'overlay', source: 'overlay', target: '', options: ['index=off', 'lowerdir=/l'] }],
    terminal: true,
    stdin: '',
    stdout: '/f/out',
    stderr: '',
    checkpoint: '',
    parentCheckpoint: '',
    options: { typeUrl: 'containerd.runc.v1.Options', value: hex('0a0178') },
  };

  it('decodes CreateTaskRequest (nested repeated messages, an Any), defaults filled in', () => {
    expect(decode(CreateTaskRequest, createVector)).toEqual(create);
  });

  it('encodes CreateTaskRequest to the same bytes, leaving out default fields', () => {
    expect(encode(CreateTaskRequest, create).toString('hex')).toBe(createVector.toString('hex'));
  });

  // id: "demo" pid: 4242 status: 3 exit_status: 137 exited_at { seconds: 1765000000 nanos: 5000 } exec_id: "e1"
  const stateVector = hex('0a0464656d6f1892212003488901520908c086cfc9061088275a026531');
  it('encodes StateResponse (uint32, enum, a Timestamp) as protoc does', () => {
    const msg = { id: 'demo', pid: 4242, status: TaskStatus.STOPPED, exitStatus: 137, exitedAt: { seconds: 1765000000n, nanos: 5000 }, execId: 'e1' };
    expect(encode(StateResponse, msg).toString('hex')).toBe(stateVector.toString('hex'));
    expect(decode(StateResponse, stateVector)).toMatchObject(msg);
  });

  // service: "containerd.task.v2.Task" method: "State" payload: "\x0a\x04demo" timeout_nano: 10000000000
  // metadata { key: "containerd-namespace-ttrpc" value: "default" }
  const requestVector = hex(
    '0a17636f6e7461696e6572642e7461736b2e76322e5461736b120553746174651a060a0464656d6f2080c8afa0252a250a1a636f6e7461696e6572642d6e616d6573706163652d7474727063120764656661756c74',
  );
  it('round-trips the ttrpc Request envelope (bytes, a 64-bit integer, repeated key-values)', () => {
    const req = decode(Request, requestVector);
    expect(req).toEqual({
      service: 'containerd.task.v2.Task',
      method: 'State',
      payload: hex('0a0464656d6f'),
      timeoutNano: 10_000_000_000n,
      metadata: [{ key: 'containerd-namespace-ttrpc', value: 'default' }],
    });
    expect(encode(Request, req).toString('hex')).toBe(requestVector.toString('hex'));
  });

  it('reads and writes a map<string, string> as its entries', () => {
    // id: "c" annotations { key: "a" value: "1" }
    const vector = hex('0a01631a060a0161120131');
    expect(decode(UpdateTaskRequest, vector)).toEqual({ id: 'c', resources: undefined, annotations: { a: '1' } });
    expect(encode(UpdateTaskRequest, { id: 'c', annotations: { a: '1' } }).toString('hex')).toBe(vector.toString('hex'));
  });

  it('packs repeated numbers and writes a negative int32 in ten bytes, as protoc does', () => {
    // n: 1 n: 300 neg: -2
    const packed: Schema = [
      { n: 1, name: 'n', type: 'uint32', repeated: true },
      { n: 2, name: 'neg', type: 'int32' },
    ];
    const vector = '0a0301ac0210feffffffffffffffff01';
    expect(encode(packed, { n: [1, 300], neg: -2 }).toString('hex')).toBe(vector);
    expect(decode(packed, hex(vector))).toEqual({ n: [1, 300], neg: -2 });
  });

  it('skips fields it does not know, of every wire type', () => {
    // field 15 varint 7, field 14 fixed64, field 13 fixed32, field 12 bytes "zz", then id: "x"
    const vector = hex('7807' + '71' + '0102030405060708' + '6d' + '01020304' + '62027a7a' + '0a0178');
    expect(decode(StateResponse, vector).id).toBe('x');
  });

  it('refuses a truncated message instead of reading past its end', () => {
    expect(() => decode(StateResponse, hex('0a0564656d'))).toThrow(ProtobufError);
    expect(() => decode(StateResponse, hex('18ff'))).toThrow(/truncated varint/);
  });
});
