/**
 * The systemd cgroup driver against a real systemd (PID 1, on pure cgroup v2, with the system bus):
 * `make test-systemd` runs this file in the guest test/cgroup2/run.sh boots with KEEL_VM_SYSTEMD=1;
 * on any other host it fails at once and says so. Each scenario runs on keel and on runc 1.1.5
 * side by side where runc does the same thing; every limit is read back from the scope's cgroup
 * files and from `systemctl show`, and every unit is checked gone with `systemctl list-units`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { CLEAN_ENV, KEEL, KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';

const CG = '/sys/fs/cgroup';
const runtimes: { keel?: KeelRoot; runc?: RuncRoot } = {};
const bundles: Bundle[] = [];
const RUNTIMES = ['keel', 'runc'] as const;

beforeAll(() => {
  if (!existsSync('/run/systemd/system') || readFileSync('/proc/1/comm', 'utf8').trim() !== 'systemd') {
    throw new Error('systemd is not PID 1 here: these tests need it; run them with "make test-systemd"');
  }
  if (readFileSync('/proc/self/mountinfo', 'utf8').match(/ \/sys\/fs\/cgroup \S+ \S+ - (\S+)/)?.[1] !== 'cgroup2') {
    throw new Error('/sys/fs/cgroup is not cgroup2: these tests need a pure cgroup v2 host; run them with "make test-systemd"');
  }
  requireRootAndBuild();
  runtimes.keel = new KeelRoot();
  runtimes.runc = new RuncRoot();
});

afterAll(() => {
  for (const rt of Object.values(runtimes)) for (const id of rt.containers()) rt.run(['--systemd-cgroup', 'delete', '--force', id]);
  runtimes.keel?.cleanup();
  runtimes.runc?.cleanup();
  for (const b of bundles) b.remove();
});

function bundle(edit: Parameters<typeof makeBundle>[0]): Bundle {
  const b = makeBundle(edit);
  bundles.push(b);
  return b;
}

/** `systemctl show UNIT -p NAME...` as a record. */
function show(unit: string, ...props: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...props.flatMap((p) => ['-p', p])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`systemctl show ${unit}: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The units systemd has loaded by that name, in any state. */
function listed(unit: string): string[] {
  const r = spawnSync('systemctl', ['list-units', '--all', '--plain', '--no-legend', unit], { encoding: 'utf8' });
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => l.split(/\s+/)[0]!);
}

const sd = (rt: KeelRoot, args: string[]) => rt.ok(['--systemd-cgroup', ...args]);

describe('--systemd-cgroup with systemd as PID 1', () => {
  it.each(RUNTIMES)('%s: limits go to the scope (its files and its unit properties); update, pause, ps, events, kill --all and delete go through it', async (name) => {
    const rt = runtimes[name]!;
    const id = `lim-${name}`;
    const unit = `${name}-${id}.scope`;
    const dir = `${CG}/system.slice/${unit}`;
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = `system.slice:${name}:${id}`;
      s.linux!.resources = { memory: { limit: 64 << 20 }, pids: { limit: 30 }, cpu: { shares: 512, quota: 50_000, period: 100_000 } };
    });
    sd(rt, ['run', '--detach', '--bundle', b.dir, id]);
    if (name === 'keel') expect(JSON.parse(readFileSync(join(rt.root, id, 'state.json'), 'utf8')).cgroupDriver).toBe('systemd');
    const pid = JSON.parse(rt.ok(['state', id])).pid as number;
    // The init is in the scope systemd made, under the slice cgroupsPath names.
    expect(readFileSync(`/proc/${pid}/cgroup`, 'utf8')).toBe(`0::/system.slice/${unit}\n`);
    expect(show(unit, 'ActiveState', 'Slice', 'Delegate')).toEqual({ ActiveState: 'active', Slice: 'system.slice', Delegate: 'yes' });
    const read = (file: string) => readFileSync(`${dir}/${file}`, 'utf8').trim();
    expect(read('memory.max')).toBe(String(64 << 20));
    expect(read('pids.max')).toBe('30');
    expect(read('cpu.max')).toBe('50000 100000');
    expect(show(unit, 'MemoryMax', 'TasksMax', 'CPUQuotaPerSecUSec')).toEqual({ MemoryMax: String(64 << 20), TasksMax: '30', CPUQuotaPerSecUSec: '500ms' });
    // The container sees its scope as the root of its cgroup namespace.
    expect(sd(rt, ['exec', id, 'cat', '/sys/fs/cgroup/memory.max'])).toBe(`${64 << 20}\n`);
    weights[name] = { file: read('cpu.weight'), unit: show(unit, 'CPUWeight').CPUWeight! };

    sd(rt, ['update', '--memory', String(128 << 20), '--pids-limit', '40', id]);
    expect(read('memory.max')).toBe(String(128 << 20));
    expect(read('pids.max')).toBe('40');
    expect(show(unit, 'MemoryMax', 'TasksMax')).toEqual({ MemoryMax: String(128 << 20), TasksMax: '40' });

    sd(rt, ['pause', id]);
    expect(read('cgroup.freeze')).toBe('1');
    expect(JSON.parse(rt.ok(['state', id])).status).toBe('paused');
    sd(rt, ['resume', id]);
    expect(read('cgroup.freeze')).toBe('0');
    expect(JSON.parse(sd(rt, ['ps', '--format', 'json', id]))).toEqual([pid]);
    expect(JSON.parse(sd(rt, ['events', '--stats', id])).data.pids.current).toBe(1);

    sd(rt, ['kill', '--all', id, 'KILL']);
    expect(await eventually(() => JSON.parse(rt.ok(['state', id])).status === 'stopped', 20_000)).toBe(true);
    // delete asks systemd to stop the unit (systemd would also drop an emptied scope by itself,
    // so only the bus shows the difference): StopUnit on the system bus, seen by dbus-monitor.
    const monitor = spawn('dbus-monitor', ['--system', "type='method_call',interface='org.freedesktop.systemd1.Manager',member='StopUnit'"], { stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    monitor.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      expect(await eventually(() => seen.includes('NameLost'), 20_000), 'dbus-monitor did not start').toBe(true);
      sd(rt, ['delete', id]);
      expect(await eventually(() => seen.includes(`string "${unit}"`), 10_000), `no StopUnit for ${unit} on the bus: ${seen}`).toBe(true);
    } finally {
      monitor.kill('SIGKILL');
    }
    expect(listed(unit)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  const weights: Partial<Record<(typeof RUNTIMES)[number], { file: string; unit: string }>> = {};
  it('cpu.shares becomes the same cpu.weight and CPUWeight on keel as on runc', () => {
    expect(weights.keel).toBeDefined();
    expect(weights.keel).toEqual(weights.runc);
  });

  it.each(RUNTIMES)('%s: a malformed cgroupsPath is refused, and no container and no unit are left', (name) => {
    const rt = runtimes[name]!;
    for (const [i, cgroupsPath] of ['a:b', 'x.slice:p:n:extra', 'notaslice:p:n'].entries()) {
      const id = `bad${i}-${name}`;
      const b = bundle((s) => {
        s.linux!.cgroupsPath = cgroupsPath;
      });
      const r = rt.run(['--systemd-cgroup', 'create', '--bundle', b.dir, id]);
      expect(r.code, `${name} with cgroupsPath "${cgroupsPath}"`).toBe(1);
      if (name === 'keel') expect(r.stderr).toMatch(new RegExp(`^keel: config.json: /linux/cgroupsPath: "${cgroupsPath}": .*\\n$`));
      expect(rt.containers()).toEqual([]);
    }
    expect(listed('p-n.scope')).toEqual([]);
  });

  it('keel: a scope that exists already fails create in one line, and the container that has it runs on', () => {
    const keel = runtimes.keel!;
    const path = 'system.slice:keel:shared';
    const first = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = path;
    });
    sd(keel, ['run', '--detach', '--bundle', first.dir, 'first']);
    const pid = JSON.parse(keel.ok(['state', 'first'])).pid as number;
    const r = keel.run(['--systemd-cgroup', 'create', '--bundle', first.dir, 'second']);
    expect(r).toMatchObject({ code: 1, stderr: 'keel: cgroup: systemd unit keel-shared.scope exists already: give this container a linux.cgroupsPath of its own, or delete the container that has it\n' });
    expect(keel.containers()).toEqual(['first']);
    expect(JSON.parse(keel.ok(['state', 'first'])).status).toBe('running');
    expect(show('keel-shared.scope', 'ActiveState').ActiveState).toBe('active');
    expect(readFileSync(`${CG}/system.slice/keel-shared.scope/cgroup.procs`, 'utf8').trim()).toBe(String(pid));
    sd(keel, ['delete', '--force', 'first']);
    expect(listed('keel-shared.scope')).toEqual([]);
  });

  it.each(['sync-cgroup', 'ready'])('keel: a create killed at "%s" is undone by delete --force: no unit, no cgroup, no state', async (step) => {
    const keel = runtimes.keel!;
    const id = `half-${step}`;
    const unit = `keel-${id}.scope`;
    const b = bundle((s) => {
      s.process!.args = ['sleep', '1000'];
      s.linux!.cgroupsPath = `system.slice:keel:${id}`;
    });
    const child = spawn(KEEL, ['--root', keel.root, '--systemd-cgroup', 'create', '--bundle', b.dir, id], { env: { ...CLEAN_ENV, KEEL_TEST_STOP_AT: step }, stdio: 'ignore' });
    const stopped = () => {
      try {
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T';
      } catch {
        return false;
      }
    };
    expect(await eventually(stopped, 60_000), `keel create never reached "${step}"`).toBe(true);
    // The unit is there: systemd made it before this step.
    expect(listed(unit)).toEqual([unit]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(keel.run(['--systemd-cgroup', 'delete', '--force', id])).toMatchObject({ code: 0, stderr: '' });
    expect(listed(unit)).toEqual([]);
    expect(existsSync(`${CG}/system.slice/${unit}`)).toBe(false);
    expect(keel.containers()).toEqual([]);
  });
});
