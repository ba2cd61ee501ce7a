/**
 * The shim config's systemdCgroup as containerd delivers it: `start` gets the runtime options (a
 * runtimeoptions.v1.Options Any naming the config) on stdin, and the long-lived shim's Create gets
 * the same Any as CreateTaskRequest.options (what containerd 1.6.20 sends when the task has no
 * options of its own, seen with ctr --runtime-config-path). Two containers of one namespace shim,
 * created under two configs: the one without systemdCgroup gets keel's cgroupfs driver; the one
 * with it gets systemd's where systemd runs (make test-systemd runs this file in its guest: a
 * scope systemd knows, and Pids, Update, Stats and Delete through it, as runc's shim does with
 * SystemdCgroup) and, where it does not (this project's machines), a refusal naming the config and
 * its key, with nothing made.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import * as M from '../../src/shim/messages.js';
import { METRICS_V2_TYPE_URL, MetricsV2 } from '../../src/shim/metrics.js';
import { decode, encode, type Message, type Schema } from '../../src/protobuf/proto3.js';
import { TtrpcClient } from '../../src/shim/ttrpc.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KEEL, requireRootAndBuild } from '../helpers/keel.js';

const SHIM = join(new URL('../..', import.meta.url).pathname, 'dist/containerd-shim-keel-v1');
const TASK = 'containerd.task.v2.Task';
const NS = `shimcfg${process.pid}`;
/** Where the shim keeps a namespace's containers when no runc options name a root. */
const ROOT = `/run/containerd/keel/${NS}`;
const SYSTEMD = existsSync('/run/systemd/system');

let dir: string;
let client: TtrpcClient | undefined;
let shimPid = 0;
let socket = '';
const bundles: Bundle[] = [];
const logReaders: number[] = [];

beforeAll(() => {
  requireRootAndBuild();
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-config-'));
});

afterAll(() => {
  client?.close();
  if (shimPid) spawnSync('kill', ['-KILL', String(shimPid)]);
  // Whatever a failed test left: keel's own delete takes the process, cgroup or scope with it.
  if (existsSync(ROOT)) for (const id of spawnSync('ls', [ROOT]).stdout.toString().split('\n').filter(Boolean)) spawnSync(KEEL, ['--root', ROOT, 'delete', '--force', id]);
  rmSync(ROOT, { recursive: true, force: true });
  if (socket) rmSync(socket, { force: true });
  for (const fd of logReaders) closeSync(fd);
  for (const b of bundles) b.remove();
  rmSync(dir, { recursive: true, force: true });
});

/** A shim config file, written whole and renamed into place as docs/containerd-shim.md says. */
function shimConfig(name: string, settings: object): string {
  const path = join(dir, name);
  writeFileSync(`${path}.new`, JSON.stringify(settings));
  renameSync(`${path}.new`, path);
  return path;
}

/** runtimeoptions.v1.Options{config_path} in an Any, as containerd sends it. */
function runtimeOptions(configPath: string): Message {
  return { typeUrl: 'runtimeoptions.v1.Options', value: encode(M.RuntimeOptions, { configPath }) };
}

/** A bundle as containerd makes one, of a container that sleeps: config.json, and the log fifo it holds the read end of. */
function sleeper(cgroupsPath?: string): Bundle {
  const b = makeBundle((spec) => {
    spec.process!.args = ['sleep', '300'];
    spec.process!.terminal = false;
    if (cgroupsPath) spec.linux!.cgroupsPath = cgroupsPath;
  });
  bundles.push(b);
  expect(spawnSync('mkfifo', [join(b.dir, 'log')]).status).toBe(0);
  logReaders.push(openSync(join(b.dir, 'log'), constants.O_RDONLY | constants.O_NONBLOCK));
  return b;
}

/** containerd's `start` in the bundle, with the options on stdin: the address it prints. */
function start(b: Bundle, id: string, options: Message): string {
  const args = ['-namespace', NS, '-address', join(dir, 'containerd.sock'), '-publish-binary', '/bin/true', '-id', id, 'start'];
  const r = spawnSync(SHIM, args, { cwd: b.dir, input: encode(M.Any, options), timeout: 20_000, env: { PATH: '/usr/bin:/bin' } });
  expect({ status: r.status, stderr: r.stderr.toString() }).toEqual({ status: 0, stderr: '' });
  return r.stdout.toString().replace(/^unix:\/\//, '');
}

async function call(method: string, req: Schema, body: Message, res: Schema = M.Empty): Promise<Message> {
  return decode(res, await client!.call(TASK, method, encode(req, body)));
}

function create(b: Bundle, id: string, options: Message): Promise<Message> {
  return call('Create', M.CreateTaskRequest, { id, bundle: b.dir, rootfs: [], terminal: false, stdin: '', stdout: '', stderr: '', options }, M.CreateTaskResponse);
}

const stateOf = (id: string) => JSON.parse(readFileSync(join(ROOT, id, 'state.json'), 'utf8')) as { cgroupDriver?: string; cgroupPaths?: string[] };

function systemctl(...args: string[]): string {
  return spawnSync('systemctl', args).stdout.toString().trim();
}

/** Kill, Wait and Delete as containerd ends a task: the exit status Delete reports. */
async function endTask(id: string): Promise<number> {
  await call('Kill', M.KillRequest, { id, signal: 9 });
  await call('Wait', M.WaitRequest, { id }, M.WaitResponse);
  return (await call('Delete', M.DeleteRequest, { id }, M.DeleteResponse)).exitStatus as number;
}

describe('the shim config read by Create', () => {
  it(`gives a container systemd's cgroup driver when its config says systemdCgroup, keel's cgroupfs driver otherwise, in one shim${SYSTEMD ? '' : ' (here without systemd: refused in one line)'}`, async () => {
    const plain = runtimeOptions(shimConfig('plain.json', { shimGroup: 'namespace' }));
    const withSystemd = shimConfig('systemd.json', { shimGroup: 'namespace', systemdCgroup: true });

    const a = sleeper();
    socket = start(a, 'a', plain);
    client = new TtrpcClient(socket);
    shimPid = (await call('Connect', M.ConnectRequest, { id: 'a' }, M.ConnectResponse)).shimPid as number;
    await create(a, 'a', plain);
    expect(stateOf('a').cgroupDriver).toBe('cgroupfs');

    const b = sleeper('system.slice:keel:b');
    // The namespace's group: the same shim.
    expect(start(b, 'b', runtimeOptions(withSystemd))).toBe(socket);
    if (!SYSTEMD) {
      await expect(create(b, 'b', runtimeOptions(withSystemd))).rejects.toThrow(
        `shim config ${withSystemd}: systemdCgroup: systemd is not running on this host (no /run/systemd/system); set it to false to manage cgroups directly`,
      );
      expect(existsSync(join(ROOT, 'b'))).toBe(false);
    } else {
      const { pid } = await create(b, 'b', runtimeOptions(withSystemd));
      expect(stateOf('b')).toMatchObject({ cgroupDriver: 'systemd' });
      expect(systemctl('show', '-p', 'ActiveState', '--value', 'keel-b.scope')).toBe('active');
      expect(readFileSync(`/proc/${pid as number}/cgroup`, 'utf8')).toBe('0::/system.slice/keel-b.scope\n');
      await call('Start', M.StartRequest, { id: 'b' }, M.StartResponse);
      // Pids, Update and Stats go through the scope's cgroup, the driver taken from the state record.
      const pids = await call('Pids', M.PidsRequest, { id: 'b' }, M.PidsResponse);
      expect((pids.processes as Message[]).map((p) => p.pid)).toEqual([pid]);
      const resources = { memory: { limit: 64 * 1024 * 1024 } };
      await call('Update', M.UpdateTaskRequest, { id: 'b', resources: { typeUrl: 'opencontainers/runtime-spec/1/LinuxResources', value: Buffer.from(JSON.stringify(resources)) }, annotations: {} });
      expect(systemctl('show', '-p', 'MemoryMax', '--value', 'keel-b.scope')).toBe('67108864');
      expect(readFileSync('/sys/fs/cgroup/system.slice/keel-b.scope/memory.max', 'utf8')).toBe('67108864\n');
      const stats = (await call('Stats', M.StatsRequest, { id: 'b' }, M.StatsResponse)).stats as Message;
      expect(stats.typeUrl).toBe(METRICS_V2_TYPE_URL);
      const memory = decode(MetricsV2, stats.value as Buffer).memory as Message;
      expect(memory.usage_limit).toBe(67108864n);
      expect(memory.usage).toBeGreaterThan(0n);
      expect(await endTask('b')).toBe(137);
      // Delete stopped the unit and systemd unloaded it.
      expect(systemctl('list-units', '--all', '--plain', '--no-legend', 'keel-b.scope')).toBe('');
      expect(existsSync(join(ROOT, 'b'))).toBe(false);
    }

    // The first container is untouched by the second's create, and ends as usual.
    const cgroup = stateOf('a').cgroupPaths?.[0];
    expect(await endTask('a')).toBe(137);
    expect(existsSync(join(ROOT, 'a'))).toBe(false);
    if (cgroup) expect(existsSync(cgroup)).toBe(false);
  });

  it('refuses a Create whose config has changed into one start would refuse, naming the file and the key', async () => {
    const path = shimConfig('changed.json', { shimGroup: 'namespace' });
    const c = sleeper();
    expect(start(c, 'c', runtimeOptions(path))).toBe(socket);
    shimConfig('changed.json', { shimGroup: 'namespace', SystemdCgroup: true });
    await expect(create(c, 'c', runtimeOptions(path))).rejects.toThrow(`shim config ${path}: unknown key "SystemdCgroup": the keys are shimGroup and systemdCgroup`);
    expect(existsSync(join(ROOT, 'c'))).toBe(false);
    await call('Shutdown', M.ShutdownRequest, { id: 'c' });
  });
});
