/**
 * The cgroup driver seam from outside: `--systemd-cgroup` is refused before anything is made, and
 * a container stays with the driver that created it. runc 1.1.5 alongside: it too takes an
 * existing container's cgroup manager from its state, not from the flags of the later call.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';
import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { removeCgroupParent } from '../helpers/cgroup-parent.js';
import { eventually } from '../helpers/host.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

const CG = '/sys/fs/cgroup';
const v2 = detectCgroupLayout().mode === 'v2';
const parent = `/keel-driver-test-${process.pid}`;
/** The container's directory in the freezer's hierarchy (the one of v2). */
const freezerDir = (id: string) => (v2 ? `${CG}${parent}/${id}` : `${CG}/freezer${parent}/${id}`);

const runtimes: { keel?: KeelRoot; runc?: RuncRoot } = {};
const bundles: Bundle[] = [];

beforeAll(() => {
  requireRootAndBuild();
  runtimes.keel = new KeelRoot();
  runtimes.runc = new RuncRoot();
});

afterAll(() => {
  runtimes.keel?.cleanup();
  runtimes.runc?.cleanup();
  for (const b of bundles) b.remove();
  removeCgroupParent(parent);
  if (v2 && existsSync(CG + parent)) rmdirSync(CG + parent);
});

function sleeper(id: string): Bundle {
  const b = makeBundle((s) => {
    s.process!.args = ['sleep', '1000'];
    s.linux!.cgroupsPath = `${parent}/${id}`;
  });
  bundles.push(b);
  return b;
}

function rewriteCgroupsPath(b: Bundle, cgroupsPath: string): void {
  const file = join(b.dir, 'config.json');
  const spec = JSON.parse(readFileSync(file, 'utf8'));
  spec.linux.cgroupsPath = cgroupsPath;
  writeFileSync(file, JSON.stringify(spec));
}

describe('cgroup drivers', () => {
  it('--systemd-cgroup create fails in one line where systemd is not running, and leaves no container and no cgroup (runc fails too)', () => {
    // This project's hosts run no systemd; test/systemd (make test-systemd) boots one that does.
    if (existsSync('/run/systemd/system')) throw new Error('systemd runs on this host: this test is for hosts without it (make test-systemd tests the driver)');
    const keel = runtimes.keel!;
    for (const cgroupsPath of [undefined, 'system.slice:keel:sd']) {
      const b = sleeper('sd');
      if (cgroupsPath) rewriteCgroupsPath(b, cgroupsPath);
      const r = keel.run(['--systemd-cgroup', 'create', '--bundle', b.dir, 'sd']);
      expect(r).toMatchObject({ code: 1, stderr: 'keel: --systemd-cgroup: systemd is not running on this host (no /run/systemd/system); run without --systemd-cgroup to manage cgroups directly\n' });
      expect(keel.containers()).toEqual([]);
      expect(existsSync(freezerDir('sd'))).toBe(false);
      // explain and validate describe what create would do: the same refusal.
      expect(keel.run(['--systemd-cgroup', 'explain', '--bundle', b.dir])).toMatchObject({ code: 1, stderr: r.stderr });
      // runc refuses such a create too on a host without systemd, and leaves no container either.
      const runc = runtimes.runc!.run(['--systemd-cgroup', 'create', '--bundle', b.dir, 'sd']);
      expect(runc.code).toBe(1);
      expect(runtimes.runc!.containers()).toEqual([]);
    }
  });

  it("a systemd container's later verbs go through the systemd driver's bundle: state reads its cgroup, delete needs systemd and says so in one line", () => {
    if (existsSync('/run/dbus/system_bus_socket')) throw new Error('a system bus runs on this host: this test is for hosts without it (make test-systemd tests the driver)');
    const keel = runtimes.keel!;
    // What create leaves in state.json for a systemd container whose init is gone.
    mkdirSync(join(keel.root, 'sdrec'));
    const dir = v2 ? `${CG}/system.slice/keel-sdrec.scope` : `${CG}/unified/system.slice/keel-sdrec.scope`;
    const record = { ociVersion: '1.2.0', id: 'sdrec', pid: 2 ** 22 + 1, bundle: '/', created: new Date().toISOString(), status: 'created', cgroupDriver: 'systemd', cgroupPaths: [dir] };
    writeFileSync(join(keel.root, 'sdrec', 'state.json'), JSON.stringify(record));
    expect(JSON.parse(keel.ok(['state', 'sdrec'])).status).toBe('stopped');
    const line = 'keel: systemd: keel reaches systemd through the system bus, and D-Bus /run/dbus/system_bus_socket: no such file or directory (is dbus running? systemctl status dbus)\n';
    // The light path (keel.cjs) and the full command line (keel-full.cjs, through --log) both load keel-systemd.cjs.
    expect(keel.run(['delete', 'sdrec'])).toMatchObject({ code: 1, stderr: line });
    const log = join(keel.root, 'log.json');
    expect(keel.run(['--log', log, '--log-format', 'json', 'delete', '--force', 'sdrec'])).toMatchObject({ code: 1, stderr: line });
    expect(JSON.parse(readFileSync(log, 'utf8'))).toMatchObject({ level: 'error', msg: line.slice('keel: '.length, -1) });
    rmSync(join(keel.root, 'sdrec'), { recursive: true });
  });

  it.each(['keel', 'runc'] as const)('%s: a container made with cgroupfs is paused, updated, listed, killed and deleted through cgroupfs, even when later calls pass --systemd-cgroup', async (name) => {
    const rt = runtimes[name]!;
    const id = `fs-${name}`;
    rt.ok(['run', '--detach', '--bundle', sleeper(id).dir, id]);
    if (name === 'keel') {
      const record = JSON.parse(readFileSync(join(rt.root, id, 'state.json'), 'utf8')) as { cgroupDriver?: string };
      expect(record.cgroupDriver).toBe('cgroupfs');
    }
    const sd = (args: string[]) => rt.ok(['--systemd-cgroup', ...args]);
    sd(['pause', id]);
    expect(JSON.parse(rt.ok(['state', id])).status).toBe('paused');
    sd(['resume', id]);
    expect(JSON.parse(rt.ok(['state', id])).status).toBe('running');
    sd(['update', '--pids-limit', '30', id]);
    expect(readFileSync(v2 ? `${CG}${parent}/${id}/pids.max` : `${CG}/pids${parent}/${id}/pids.max`, 'utf8').trim()).toBe('30');
    const pid = JSON.parse(rt.ok(['state', id])).pid as number;
    expect(JSON.parse(sd(['ps', '--format', 'json', id]))).toEqual([pid]);
    expect(JSON.parse(sd(['events', '--stats', id])).data.pids.current).toBe(1);
    sd(['kill', '--all', id, 'KILL']);
    expect(await eventually(() => JSON.parse(rt.ok(['state', id])).status === 'stopped')).toBe(true);
    sd(['delete', id]);
    expect(existsSync(freezerDir(id))).toBe(false);
  });
});
