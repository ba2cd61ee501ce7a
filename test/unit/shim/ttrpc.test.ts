/**
 * ttrpc framing and dispatch, against the wire format of containerd/ttrpc (channel.go: a 10-byte
 * header of big-endian length and stream id, then type and flags; request.proto's envelope).
 */
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { Request, Response, StateRequest, StateResponse } from '../../../src/shim/messages.js';
import { decode, encode } from '../../../src/protobuf/proto3.js';
import { Code, encodeFrame, FrameReader, MESSAGE_LENGTH_MAX, MessageType, RpcError, TtrpcClient, TtrpcServer } from '../../../src/shim/ttrpc.js';

describe('ttrpc frames', () => {
  it('writes the header as ttrpc does: length, stream id, type, flags', () => {
    const frame = encodeFrame({ streamId: 3, type: MessageType.RESPONSE, flags: 0, payload: Buffer.from('abc') });
    expect(frame.toString('hex')).toBe('00000003' + '00000003' + '02' + '00' + '616263');
  });

  it('reassembles frames split across reads and several in one read', () => {
    const a = encodeFrame({ streamId: 1, type: 1, flags: 0, payload: Buffer.from('hello') });
    const b = encodeFrame({ streamId: 3, type: 1, flags: 4, payload: Buffer.alloc(0) });
    const all = Buffer.concat([a, b]);
    const reader = new FrameReader();
    expect(reader.push(all.subarray(0, 4))).toEqual([]);
    expect(reader.push(all.subarray(4, 12))).toEqual([]);
    const frames = reader.push(all.subarray(12));
    expect(frames.map((f) => [f.streamId, f.type, f.flags, f.payload.toString()])).toEqual([
      [1, 1, 0, 'hello'],
      [3, 1, 4, ''],
    ]);
  });

  it('skips a frame over the 4 MiB limit, reports it, and reads the next one', () => {
    const reported: number[] = [];
    const reader = new FrameReader((id) => reported.push(id));
    const header = Buffer.alloc(10);
    header.writeUInt32BE(MESSAGE_LENGTH_MAX + 1, 0);
    header.writeUInt32BE(5, 4);
    expect(reader.push(header)).toEqual([]);
    expect(reader.push(Buffer.alloc(MESSAGE_LENGTH_MAX + 1))).toEqual([]);
    const next = reader.push(encodeFrame({ streamId: 7, type: 1, flags: 0, payload: Buffer.from('x') }));
    expect(reported).toEqual([5]);
    expect(next.map((f) => f.streamId)).toEqual([7]);
  });
});

describe('ttrpc dispatch', () => {
  const server = new TtrpcServer();
  server.register('containerd.task.v2.Task', 'State', StateRequest, StateResponse, (req) => {
    if (req.id === 'missing') throw new RpcError(Code.NOT_FOUND, 'container "missing": not found');
    return { id: req.id, pid: 7 };
  });
  const call = (service: string, method: string, payload: Buffer) =>
    server.dispatch({ streamId: 1, type: 1, flags: 0, payload: encode(Request, { service, method, payload }) });

  it('decodes the payload by the method, and answers with the encoded response', async () => {
    const res = await call('containerd.task.v2.Task', 'State', encode(StateRequest, { id: 'demo' }));
    expect(res.status).toBeUndefined();
    expect(decode(StateResponse, res.payload as Buffer)).toMatchObject({ id: 'demo', pid: 7 });
    // And what goes on the wire decodes as a ttrpc Response.
    expect(decode(Response, encode(Response, res)).payload).toEqual(res.payload);
  });

  it("answers an error with its gRPC code (containerd's errdefs map them)", async () => {
    const res = await call('containerd.task.v2.Task', 'State', encode(StateRequest, { id: 'missing' }));
    expect(res.status).toEqual({ code: Code.NOT_FOUND, message: 'container "missing": not found' });
  });

  it('answers an unknown method with UNIMPLEMENTED, naming it', async () => {
    const res = await call('containerd.task.v2.Task', 'Nope', Buffer.alloc(0));
    expect(res.status).toMatchObject({ code: Code.UNIMPLEMENTED });
    expect((res.status as { message: string }).message).toContain('containerd.task.v2.Task/Nope');
  });
});

describe('ttrpc client', () => {
  it("gives up on a call the peer never answers (containerd's events service, stuck), naming the method", async () => {
    // A shim that waited for ever here could not end: its last events are flushed before it exits.
    const dir = mkdtempSync(join(tmpdir(), 'keel-ttrpc-'));
    const path = join(dir, 'silent.sock');
    const heard: Buffer[] = [];
    const server = net.createServer((socket) => socket.on('data', (d: Buffer) => heard.push(d)));
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = new TtrpcClient(path);
    try {
      const started = Date.now();
      await expect(client.call('containerd.services.events.ttrpc.v1.Events', 'Forward', Buffer.alloc(0), {}, 200)).rejects.toThrow(
        `ttrpc containerd.services.events.ttrpc.v1.Events/Forward: no answer from ${path} in 200 ms`,
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Buffer.concat(heard).length).toBeGreaterThan(10); // the request did go out
    } finally {
      client.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
