/**
 * keel's D-Bus client against a real bus: a private dbus-daemon (Debian's, the one the system bus
 * runs) on a socket in a temp dir, with libdbus's dbus-monitor and dbus-send as the outside
 * readers. Authentication, Hello, replies, error replies, signals, a bounded wait for a reply, and
 * StartTransientUnit's a(sv) and a(sa(sv)) arguments as libdbus decodes them. systemd itself is
 * reached only in the systemd guest (test/systemd).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { toDbus } from '../../src/cgroups/systemd-dbus.js';
import { DbusConnection, DbusError, systemBusPath } from '../../src/dbus/connection.js';
import { eventually } from '../helpers/host.js';

const haveDbus = existsSync('/usr/bin/dbus-daemon') && existsSync('/usr/bin/dbus-monitor');
let dir: string;
let bus: string;
const children: ChildProcess[] = [];
let monitorLog: string;

const BUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', timeoutMs: 5000 };

beforeAll(async () => {
  if (!haveDbus) throw new Error('dbus-daemon and dbus-monitor are missing: apt-get install dbus-daemon dbus-bin (make host-deps)');
  dir = mkdtempSync(join(tmpdir(), 'keel-dbus-'));
  bus = join(dir, 'bus');
  const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--nopidfile', `--address=unix:path=${bus}`], { stdio: 'ignore' });
  children.push(daemon);
  expect(await eventually(() => existsSync(bus), 10_000)).toBe(true);
  monitorLog = join(dir, 'monitor.log');
  const monitor = spawn('sh', ['-c', `exec dbus-monitor --address unix:path=${bus} >${monitorLog} 2>&1`], { stdio: 'ignore' });
  children.push(monitor);
  // dbus-monitor has become a monitor once the bus told it its name was lost (it gives it up to monitor).
  expect(await eventually(() => existsSync(monitorLog) && readFileSync(monitorLog, 'utf8').includes('NameLost'), 10_000)).toBe(true);
});

afterAll(() => {
  for (const c of children) if (c.pid) c.kill('SIGKILL');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('D-Bus client', () => {
  it('finds the system bus socket in DBUS_SYSTEM_BUS_ADDRESS, as libdbus does, or at the well-known path', () => {
    expect(systemBusPath(undefined)).toBe('/run/dbus/system_bus_socket');
    expect(systemBusPath('tcp:host=x;unix:path=/run/x%20y/bus,guid=1')).toBe('/run/x y/bus');
    expect(systemBusPath('unix:abstract=x')).toBe('/run/dbus/system_bus_socket');
  });

  it('authenticates, says Hello and gets the same bus id dbus-send gets', async () => {
    const conn = await DbusConnection.open(bus, 5000);
    try {
      const [id] = await conn.call({ ...BUS, member: 'GetId' });
      const theirs = spawnSync('dbus-send', [`--bus=unix:path=${bus}`, '--print-reply=literal', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetId'], { encoding: 'utf8' });
      expect(theirs.status).toBe(0);
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(theirs.stdout.trim()).toBe(id);
    } finally {
      conn.close();
    }
  });

  it('turns an error reply into a DbusError with its name', async () => {
    const conn = await DbusConnection.open(bus, 5000);
    try {
      const err = await conn.call({ ...BUS, member: 'GetNameOwner', signature: 's', body: ['org.keel.Nobody'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DbusError);
      expect((err as DbusError).errorName).toBe('org.freedesktop.DBus.Error.NameHasNoOwner');
      expect((err as DbusError).message).toMatch(/^org\.freedesktop\.DBus\.GetNameOwner: .*org\.keel\.Nobody/);
    } finally {
      conn.close();
    }
  });

  it('receives the signals it matched', async () => {
    const conn = await DbusConnection.open(bus, 5000);
    try {
      const seen: unknown[][] = [];
      conn.onSignal((m) => m.member === 'NameOwnerChanged' && seen.push(m.body ?? []));
      await conn.call({ ...BUS, member: 'AddMatch', signature: 's', body: ["type='signal',interface='org.freedesktop.DBus',member='NameOwnerChanged'"] });
      const other = await DbusConnection.open(bus, 5000); // a new connection: the bus announces its name
      other.close();
      expect(await eventually(() => seen.length >= 2, 5000)).toBe(true);
      // One signal when the name is given, one when it goes: (name, old owner, new owner).
      const [given, gone] = seen as [string, string, string][];
      expect(given[0]).toMatch(/^:1\.\d+$/);
      expect(given[1]).toBe('');
      expect(given[2]).toBe(given[0]);
      expect(gone).toEqual([given[0], given[0], '']);
    } finally {
      conn.close();
    }
  });

  it('gives up on a reply after its bound, naming the call', async () => {
    const conn = await DbusConnection.open(bus, 5000);
    const silent = await DbusConnection.open(bus, 5000); // answers no calls
    try {
      const peer = silent.uniqueName;
      expect(peer).toMatch(/^:1\.\d+$/);
      const [names] = (await conn.call({ ...BUS, member: 'ListNames' })) as [string[]];
      expect(names).toContain(peer);
      const started = Date.now();
      await expect(conn.call({ destination: peer, path: '/x', interface: 'org.keel.Test', member: 'Wait', timeoutMs: 300 })).rejects.toThrow(`D-Bus: no reply to org.keel.Test.Wait from ${peer} within 0.3 s`);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      conn.close();
      silent.close();
    }
  });

  it("sends StartTransientUnit's arguments (s, s, a(sv), a(sa(sv))) as libdbus reads them", async () => {
    const conn = await DbusConnection.open(bus, 5000);
    try {
      const props = toDbus([
        { name: 'Description', type: 's', value: 'keel container web' },
        { name: 'PIDs', type: 'au', value: [4242] },
        { name: 'Delegate', type: 'b', value: true },
        { name: 'MemoryMax', type: 't', value: 67108864n },
        { name: 'DeviceAllow', type: 'a(ss)', value: [['/dev/null', 'rwm']] },
      ]);
      // To the bus itself, which has no such interface: the monitor sees the call, the bus answers with an error.
      const err = await conn
        .call({ ...BUS, interface: 'org.keel.Test', member: 'StartTransientUnit', signature: 'ssa(sv)a(sa(sv))', body: ['keel-web.scope', 'replace', props, [['aux.scope', [props[0]!]]]] })
        .catch((e: unknown) => e);
      expect((err as DbusError).errorName).toBe('org.freedesktop.DBus.Error.UnknownInterface');
      expect(await eventually(() => readFileSync(monitorLog, 'utf8').includes('aux.scope'), 5000)).toBe(true);
      const log = readFileSync(monitorLog, 'utf8');
      const call = log.slice(log.lastIndexOf('member=StartTransientUnit'));
      const words = call.split(/\s+/).join(' ');
      expect(words).toContain('string "keel-web.scope" string "replace" array [');
      expect(words).toContain('struct { string "Description" variant string "keel container web" }');
      expect(words).toContain('struct { string "PIDs" variant array [ uint32 4242 ] }');
      expect(words).toContain('struct { string "Delegate" variant boolean true }');
      expect(words).toContain('struct { string "MemoryMax" variant uint64 67108864 }');
      expect(words).toContain('struct { string "DeviceAllow" variant array [ struct { string "/dev/null" string "rwm" } ] }');
      expect(words).toContain('array [ struct { string "aux.scope" array [ struct { string "Description" variant string "keel container web" } ] } ]');
    } finally {
      conn.close();
    }
  });

  it('fails in one line naming the socket when there is no bus', async () => {
    await expect(DbusConnection.open(join(dir, 'none'), 2000)).rejects.toThrow(`D-Bus ${join(dir, 'none')}: no such file or directory`);
  });
});
