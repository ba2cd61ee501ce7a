/**
 * The shim's Start of an exec'd process, asked twice at once (two clients, or a retry that
 * overtakes the first answer): containerd's contract is one process per exec id, so one Start
 * starts it and the other is refused as already started. Before, both passed the check while the
 * first was still starting, and two processes ran under one exec id.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as M from '../../src/shim/messages.js';
import { Request, Response } from '../../src/shim/messages.js';
import { decode, encode, type Message, type Schema } from '../../src/protobuf/proto3.js';
import { encodeFrame, FrameReader, MessageType, TtrpcClient } from '../../src/shim/ttrpc.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KEEL, requireRootAndBuild } from '../helpers/keel.js';

const SHIM = join(new URL('../..', import.meta.url).pathname, 'dist/containerd-shim-keel-v1');
const TASK = 'containerd.task.v2.Task';
const NS = `shimexec${process.pid}`;
const ROOT = `/run/containerd/keel/${NS}`;

let dir: string;
let bundle: Bundle;
let client: TtrpcClient | undefined;
let socket = '';
let shimPid = 0;
let logReader = -1;

beforeAll(() => {
  requireRootAndBuild();
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-exec-'));
});

afterAll(() => {
  client?.close();
  if (shimPid) spawnSync('kill', ['-KILL', String(shimPid)]);
  if (existsSync(ROOT)) for (const id of readdirSync(ROOT)) spawnSync(KEEL, ['--root', ROOT, 'delete', '--force', id]);
  rmSync(ROOT, { recursive: true, force: true });
  if (socket) rmSync(socket, { force: true });
  if (logReader >= 0) closeSync(logReader);
  bundle?.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** Two ttrpc requests for Task/Start written at once on a connection of their own; their responses. */
function startTwiceAtOnce(path: string, payload: Buffer): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(path);
    const reader = new FrameReader();
    const answers: Message[] = [];
    const request = encode(Request, { service: TASK, method: 'Start', payload, metadata: [] });
    socket.once('connect', () => socket.write(Buffer.concat([1, 3].map((streamId) => encodeFrame({ streamId, type: MessageType.REQUEST, flags: 0, payload: request })))));
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) answers.push(decode(Response, frame.payload));
      if (answers.length < 2) return;
      socket.end();
      resolve(answers);
    });
    socket.once('error', reject);
  });
}

async function call(method: string, req: Schema, body: Message, res: Schema = M.Empty): Promise<Message> {
  return decode(res, await client!.call(TASK, method, encode(req, body)));
}

describe("the shim's Start of an exec", () => {
  it('starts the process once when asked twice at once, and refuses the other as already started', async () => {
    bundle = makeBundle((spec) => {
      spec.process!.args = ['sleep', '300'];
    });
    expect(spawnSync('mkfifo', [join(bundle.dir, 'log')]).status).toBe(0);
    logReader = openSync(join(bundle.dir, 'log'), constants.O_RDONLY | constants.O_NONBLOCK);
    const args = ['-namespace', NS, '-address', join(dir, 'containerd.sock'), '-publish-binary', '/bin/true', '-id', 'x', 'start'];
    const r = spawnSync(SHIM, args, { cwd: bundle.dir, timeout: 20_000, env: { PATH: '/usr/bin:/bin' } });
    expect({ status: r.status, stderr: r.stderr.toString() }).toEqual({ status: 0, stderr: '' });
    socket = r.stdout.toString().replace(/^unix:\/\//, '');
    client = new TtrpcClient(socket);
    shimPid = (await call('Connect', M.ConnectRequest, { id: 'x' }, M.ConnectResponse)).shimPid as number;
    await call('Create', M.CreateTaskRequest, { id: 'x', bundle: bundle.dir, rootfs: [], terminal: false, stdin: '', stdout: '', stderr: '' }, M.CreateTaskResponse);
    await call('Start', M.StartRequest, { id: 'x' }, M.StartResponse);

    const spec = { args: ['sleep', '301'], cwd: '/', env: ['PATH=/bin:/usr/bin'], user: { uid: 0, gid: 0 } };
    const any = { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Process', value: Buffer.from(JSON.stringify(spec)) };
    await call('Exec', M.ExecProcessRequest, { id: 'x', execId: 'e1', terminal: false, stdin: '', stdout: '', stderr: '', spec: any });
    // Both requests in one write, so that the shim reads them in one chunk and begins the second
    // while the first is still starting (as a client's retry or two clients on a busy shim can).
    const results = await startTwiceAtOnce(socket, encode(M.StartRequest, { id: 'x', execId: 'e1' }));
    expect(results.filter((m) => !m.status || (m.status as Message).code === 0)).toHaveLength(1);
    const refused = results.filter((m) => m.status && (m.status as Message).code !== 0);
    expect(refused.map((m) => (m.status as Message).message)).toEqual(['process "e1" of container "x" has already been started']);
    const sleepers = spawnSync('pgrep', ['-f', '^sleep 301$']).stdout.toString().split('\n').filter(Boolean);
    expect(sleepers).toHaveLength(1);

    await call('Kill', M.KillRequest, { id: 'x', signal: 9, all: true });
    await call('Wait', M.WaitRequest, { id: 'x' }, M.WaitResponse);
    await call('Delete', M.DeleteRequest, { id: 'x' }, M.DeleteResponse);
    await call('Shutdown', M.ShutdownRequest, { id: 'x' });
  });
});
