/**
 * dist/containerd-shim-keel-v1 `start` (native/launch/shim.c) as containerd 1.6 runs it: in the
 * bundle, with containerd's flags, its stdout and stderr read together as the address, the
 * runtime options (if any) on stdin. What it must do is containerd's runtime v2 contract
 * (runtime/v2/README.md) and what containerd's own shims do: print the address of the group's
 * socket (/run/containerd/s/<sha256 of the Go-joined containerd address, namespace and group>)
 * and nothing else, reuse a shim that answers, replace a socket whose shim is gone, write the
 * bundle's address file, and leave the long-lived shim in a session of its own with the socket as
 * fd 3, its stderr on the bundle's log fifo, its OOM score one above containerd's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { requireRootAndBuild } from '../helpers/keel.js';
import { ConnectRequest, ConnectResponse, StateRequest } from '../../src/shim/messages.js';
import { decode, encode } from '../../src/protobuf/proto3.js';
import { TtrpcClient } from '../../src/shim/ttrpc.js';

const SHIM = join(new URL('../..', import.meta.url).pathname, 'dist/containerd-shim-keel-v1');
const SCRIPT = `${SHIM}.cjs`;

let dir: string;
let containerd: string;
const logReaders: number[] = [];
const shims = new Set<number>();

beforeAll(() => {
  requireRootAndBuild();
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-start-'));
  // Only a name: start hashes it, the long-lived shim connects to it only to publish events.
  containerd = join(dir, 'containerd.sock');
});

afterAll(() => {
  for (const pid of shims) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const fd of logReaders) closeSync(fd);
  for (const ns of ['ns1', 'ns2', 'ns3']) for (const group of ['pod1', 'c3', 'c9', ns, 'c5', 'c10', 'c11', 'pod-at-once']) rmSync(socketOf(ns, group), { force: true });
  rmSync(dir, { recursive: true, force: true });
});

/** containerd's rule, computed here with Node's crypto from containerd's own inputs. */
function addressOf(ns: string, group: string): string {
  return `unix:///run/containerd/s/${createHash('sha256').update(`${containerd}/${ns}/${group}`).digest('hex')}`;
}
const socketOf = (ns: string, group: string) => addressOf(ns, group).slice('unix://'.length);

/** A bundle as containerd makes one: config.json, and the log fifo it holds the read end of. */
function bundle(id: string, annotations: Record<string, string> = {}): string {
  const b = join(dir, id);
  spawnSync('mkdir', ['-p', b]);
  writeFileSync(join(b, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations }));
  expect(spawnSync('mkfifo', [join(b, 'log')]).status).toBe(0);
  logReaders.push(openSync(join(b, 'log'), constants.O_RDONLY | constants.O_NONBLOCK));
  return b;
}

function start(b: string, ns: string, id: string, opts: { input?: Buffer; extra?: string[]; env?: Record<string, string> } = {}) {
  const args = ['-namespace', ns, '-address', containerd, '-publish-binary', '/usr/bin/containerd', '-id', id, ...(opts.extra ?? []), 'start'];
  const began = Date.now();
  const r = spawnSync(SHIM, args, { cwd: b, input: opts.input, timeout: 20_000, env: { PATH: '/usr/bin:/bin', TTRPC_ADDRESS: `${containerd}.ttrpc`, ...opts.env } });
  return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr.toString(), ms: Date.now() - began };
}

/** The long-lived shims started from bundle b: node (with the build's SHIM_NODE_FLAGS) on the .cjs, working in b. */
function shimsIn(b: string): number[] {
  const found: number[] = [];
  // start returns once the shim's execve has closed its close-on-exec report pipe, but the kernel
  // sets up the new program's argument pages after that: for a moment /proc/PID/cmdline reads
  // empty. Such a process in the bundle is a shim still being exec'd; look again.
  for (let tries = 0; tries < 200; tries++) {
    found.length = 0;
    let execing = false;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (readlinkSync(`/proc/${entry}/cwd`) !== b) continue;
        if (cmdline === '' && !readFileSync(`/proc/${entry}/stat`, 'utf8').includes(') Z ')) execing = true;
        if (cmdline.split('\0').includes(SCRIPT)) found.push(Number(entry));
      } catch {
        // Gone meanwhile.
      }
    }
    if (!execing) break;
    spawnSync('sleep', ['0.01']);
  }
  found.forEach((pid) => shims.add(pid));
  return found;
}

/** The inode of the listening unix socket bound at path, from /proc/net/unix. */
function socketInode(path: string): string | undefined {
  const line = readFileSync('/proc/net/unix', 'utf8').split('\n').find((l) => l.endsWith(` ${path}`));
  return line?.trim().split(/\s+/)[6];
}

describe('containerd-shim-keel-v1 start', () => {
  it('starts the group shim as containerd asks and prints only its address', () => {
    const b = bundle('c1', { 'io.kubernetes.cri.sandbox-id': 'pod1' });
    const r = start(b, 'ns1', 'c1', { extra: ['--debug'] });
    expect(r).toMatchObject({ status: 0, stdout: addressOf('ns1', 'pod1'), stderr: '' });
    const path = socketOf('ns1', 'pod1');
    expect(statSync(path).isSocket()).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(b, 'address'), 'utf8')).toBe(addressOf('ns1', 'pod1'));
    expect(existsSync(join(b, '.address'))).toBe(false);

    const [pid, ...others] = shimsIn(b);
    expect(others).toEqual([]);
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const argv = cmdline.slice(cmdline.indexOf(SCRIPT) + 1, -1);
    expect(argv).toEqual(['-namespace', 'ns1', '-id', 'c1', '-address', containerd, '-publish-binary', '/usr/bin/containerd', '-debug']);
    // Its own session (and so process group), not the caller's.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    expect(Number(stat[3])).toBe(pid); // session id
    expect(readlinkSync(`/proc/${pid}/fd/0`)).toBe('/dev/null');
    expect(readlinkSync(`/proc/${pid}/fd/1`)).toBe('/dev/null');
    expect(readlinkSync(`/proc/${pid}/fd/2`)).toBe(join(b, 'log'));
    expect(readlinkSync(`/proc/${pid}/fd/3`)).toBe(`socket:[${socketInode(path)}]`);
    const ours = Number(readFileSync('/proc/self/oom_score_adj', 'utf8'));
    expect(Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'))).toBe(Math.min(ours + 1, 1000));
  });

  it("hands a second container of the pod the same shim, and writes that bundle's address", () => {
    const b = bundle('c2', { 'io.kubernetes.cri.sandbox-id': 'pod1' });
    const r = start(b, 'ns1', 'c2');
    expect(r).toMatchObject({ status: 0, stdout: addressOf('ns1', 'pod1'), stderr: '' });
    expect(readFileSync(join(b, 'address'), 'utf8')).toBe(addressOf('ns1', 'pod1'));
    expect(shimsIn(b)).toEqual([]);
    expect(shimsIn(join(dir, 'c1'))).toHaveLength(1);
  });

  it('replaces a socket whose shim was killed, and groups a container without annotations by its id', async () => {
    const b = bundle('c3');
    expect(start(b, 'ns1', 'c3').stdout).toBe(addressOf('ns1', 'c3'));
    const [first] = shimsIn(b);
    process.kill(first!, 'SIGKILL');
    for (let i = 0; i < 100 && existsSync(`/proc/${first}/cmdline`) && readFileSync(`/proc/${first}/cmdline`, 'utf8'); i++) await new Promise((res) => setTimeout(res, 50));
    expect(statSync(socketOf('ns1', 'c3')).isSocket()).toBe(true); // left behind
    const r = start(b, 'ns1', 'c3');
    expect(r).toMatchObject({ status: 0, stdout: addressOf('ns1', 'c3'), stderr: '' });
    const now = shimsIn(b).filter((pid) => pid !== first);
    expect(now).toHaveLength(1);
    expect(readlinkSync(`/proc/${now[0]}/fd/3`)).toBe(`socket:[${socketInode(socketOf('ns1', 'c3'))}]`);
  });

  it('gives twelve containers of one pod started at once one shim', async () => {
    const bundles = Array.from({ length: 12 }, (_, i) => bundle(`r${i}`, { 'io.kubernetes.cri.sandbox-id': 'pod-at-once' }));
    const starts = bundles.map(
      (b, i) =>
        new Promise<string>((resolve) => {
          const child = spawn(SHIM, ['-namespace', 'ns3', '-address', containerd, '-publish-binary', '/usr/bin/containerd', '-id', `r${i}`, 'start'], { cwd: b, stdio: ['ignore', 'pipe', 'pipe'] });
          let out = '';
          child.stdout.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.on('close', (code) => resolve(`${code}: ${out}`));
        }),
    );
    expect(new Set(await Promise.all(starts))).toEqual(new Set([`0: ${addressOf('ns3', 'pod-at-once')}`]));
    expect(bundles.flatMap((b) => shimsIn(b))).toHaveLength(1);
  });

  it('waits for another start between its bind and its listen instead of taking that socket for a stale one', async () => {
    // Another start, played by python: it holds the lock start takes (flock of the socket
    // directory), has bound the group's socket and listens only half a second later.
    const path = socketOf('ns3', 'pod-half-bound');
    const other = spawn('python3', ['-c', [
      'import fcntl, os, socket, sys, time',
      "d = os.open('/run/containerd/s', os.O_RDONLY)",
      'fcntl.flock(d, fcntl.LOCK_EX)',
      's = socket.socket(socket.AF_UNIX)',
      `s.bind(${JSON.stringify(path)})`,
      "print('bound', flush=True)",
      'time.sleep(0.5)',
      's.listen(16)',
      'fcntl.flock(d, fcntl.LOCK_UN)',
      'sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => other.stdout.once('data', () => resolve()));
      const inode = statSync(path).ino;
      const b = bundle('hb1', { 'io.kubernetes.cri.sandbox-id': 'pod-half-bound' });
      const r = await new Promise<string>((resolve) => {
        const child = spawn(SHIM, ['-namespace', 'ns3', '-address', containerd, '-publish-binary', '/usr/bin/containerd', '-id', 'hb1', 'start'], { cwd: b, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve(`${code}: ${out}`));
      });
      const started = shimsIn(b);
      expect(r).toBe(`0: ${addressOf('ns3', 'pod-half-bound')}`);
      expect(started).toEqual([]);
      expect(statSync(path).ino).toBe(inode);
    } finally {
      other.stdin.end();
      other.kill();
      rmSync(path, { force: true });
    }
  });

  it('groups by namespace when the runtime options name a shim config saying so', () => {
    const config = join(dir, 'shim.json');
    writeFileSync(config, JSON.stringify({ shimGroup: 'namespace' }));
    const path = Buffer.from(config);
    // A protobuf Any (type_url, value) of runtimeoptions.v1.Options{config_path}, as containerd writes it.
    const options = Buffer.concat([Buffer.from([0x12, path.length]), path]);
    const type = Buffer.from('runtimeoptions.v1.Options');
    const any = Buffer.concat([Buffer.from([0x0a, type.length]), type, Buffer.from([0x12, options.length]), options]);
    const b = bundle('c4', { 'io.kubernetes.cri.sandbox-id': 'pod9' });
    expect(start(b, 'ns2', 'c4', { input: any })).toMatchObject({ status: 0, stdout: addressOf('ns2', 'ns2'), stderr: '' });
    const b5 = bundle('c5');
    expect(start(b5, 'ns2', 'c5', { input: any })).toMatchObject({ status: 0, stdout: addressOf('ns2', 'ns2') });
    expect(shimsIn(b5)).toEqual([]);
    expect(shimsIn(b)).toHaveLength(1);
    // Without the options, the same container has a shim of its own.
    expect(start(b5, 'ns2', 'c5')).toMatchObject({ status: 0, stdout: addressOf('ns2', 'c5') });
    expect(shimsIn(b5)).toHaveLength(1);

    writeFileSync(config, '{"shimGroup": "node"}');
    expect(start(bundle('c6'), 'ns2', 'c6', { input: any })).toEqual(expect.objectContaining({ status: 1, stdout: '', stderr: `containerd-shim-keel-v1: shim config ${config}: shimGroup must be "pod" or "namespace"\n` }));
    rmSync(config);
    expect(start(bundle('c7'), 'ns2', 'c7', { input: any }).stderr).toBe(`containerd-shim-keel-v1: read the shim config ${config} (the runtime options' ConfigPath): No such file or directory\n`);
  });

  it('refuses a bundle it cannot read in one line, and starts nothing', () => {
    const b = bundle('c8');
    rmSync(join(b, 'config.json'));
    expect(start(b, 'ns3', 'c8')).toMatchObject({ status: 1, stdout: '', stderr: 'containerd-shim-keel-v1: read config.json in the bundle: No such file or directory\n' });
    const trailingComma = '{"annotations": {"io.kubernetes.cri.sandbox-id": "pod1",}}';
    writeFileSync(join(b, 'config.json'), trailingComma);
    const at = trailingComma.indexOf(',}') + 1;
    expect(start(b, 'ns3', 'c8')).toMatchObject({ status: 1, stdout: '', stderr: `containerd-shim-keel-v1: config.json is not JSON: expected a member name at byte ${at}\n` });
    expect(shimsIn(b)).toEqual([]);
    expect(existsSync(join(b, 'address'))).toBe(false);
  });

  it('takes back the socket it bound when it cannot hand it to a shim', () => {
    const b = bundle('c11');
    mkdirSync(join(b, '.address')); // the address file cannot be written
    expect(start(b, 'ns3', 'c11')).toMatchObject({ status: 1, stdout: '', stderr: 'containerd-shim-keel-v1: open .address in the bundle: Is a directory\n' });
    expect(existsSync(socketOf('ns3', 'c11'))).toBe(false);
    expect(shimsIn(b)).toEqual([]);
  });

  it('writes each ttrpc call, answered or failed, with its time to KEEL_SHIM_DEBUG_LOG when its environment names one', async () => {
    const b = bundle('c10');
    const debugLog = join(dir, 'shim-debug.log');
    expect(start(b, 'ns3', 'c10', { env: { KEEL_SHIM_DEBUG_LOG: debugLog } })).toMatchObject({ status: 0, stdout: addressOf('ns3', 'c10') });
    shimsIn(b);
    const client = new TtrpcClient(socketOf('ns3', 'c10'));
    try {
      const connected = decode(ConnectResponse, await client.call('containerd.task.v2.Task', 'Connect', encode(ConnectRequest, { id: 'c10' })));
      expect(connected.shimPid).toBe(shimsIn(b)[0]);
      await expect(client.call('containerd.task.v2.Task', 'State', encode(StateRequest, { id: 'nothing-here' }))).rejects.toThrow('container "nothing-here": not found in this shim');
    } finally {
      client.close();
    }
    // The Logger's text lines: an ISO time, then the step with the ms since the shim's process began.
    const line = (msg: string) => new RegExp(`^time="\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z" level=debug msg="${msg} \\(\\d+\\.\\d ms\\)"$`);
    const lines = readFileSync(debugLog, 'utf8').trimEnd().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(line('Connect called')),
      expect.stringMatching(line('Connect answered')),
      expect.stringMatching(line('State called')),
      expect.stringMatching(line('State failed: container \\\\"nothing-here\\\\": not found in this shim')),
    ]);
  });

  it("leaves every other action to Node's shim with the caller's arguments", () => {
    const version = spawnSync(SHIM, ['-v'], { cwd: dir });
    expect(version.status).toBe(0);
    expect(version.stdout.toString()).toMatch(/^\S+:\n {2}Version: keel\n$/);
    const bad = spawnSync(SHIM, ['-namespace', 'ns3', '-bogus', 'x', 'start'], { cwd: dir });
    expect({ status: bad.status, stderr: bad.stderr.toString() }).toEqual({ status: 2, stderr: 'flag provided but not defined: -bogus\n' });
    const noNamespace = spawnSync(SHIM, ['-id', 'c9', 'start'], { cwd: bundle('c9') });
    expect({ status: noNamespace.status, stderr: noNamespace.stderr.toString() }).toEqual({ status: 1, stderr: 'shim namespace cannot be empty\n' });
  });
});
