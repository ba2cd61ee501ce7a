/**
 * linux.netDevices (config-linux.md): a host interface moves into the container's network
 * namespace, renamed, keeping its permanent global addresses, and is set up. The test makes one
 * end of a veth pair for each case (this kernel has no dummy driver) and removes what is left.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';

import { mountsMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';
import type { LinuxNetDevice } from '../../src/spec/types.js';

const bed = useTestbed();
const made: string[] = [];
afterEach(() => {
  // A peer goes by itself when the container's network namespace (holding the other end) goes,
  // which the kernel finishes asynchronously: gone between the check and the del is fine.
  const names = made.splice(0);
  for (const name of names) if (existsSync(`/sys/class/net/${name}`)) spawnSync('ip', ['link', 'del', name], { stdio: 'ignore' });
  expect(names.filter((name) => existsSync(`/sys/class/net/${name}`) && spawnSync('ip', ['link', 'del', name]).status !== 0)).toEqual([]);
  expect(bed.keel.containers()).toEqual([]);
});

/** A veth pair whose first end has an IPv4 and an IPv6 global address (documentation ranges: no traffic goes anywhere); returns that end's name. */
function vethWithAddresses(tag: string): string {
  const name = `k${tag}${process.pid % 100000}`;
  execFileSync('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
  made.push(name, `${name}p`);
  execFileSync('ip', ['addr', 'add', '192.0.2.6/24', 'dev', name]);
  execFileSync('ip', ['addr', 'add', '2001:db8::6/64', 'dev', name, 'nodad']);
  return name;
}

function runWith(netDevices: Record<string, LinuxNetDevice>, args: string[], name: string, network = true) {
  const b = bed.bundle((s) => {
    s.process!.args = args;
    s.linux!.netDevices = netDevices;
    if (!network) s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network');
  });
  const r = bed.keel.run(['run', '--bundle', b.dir, `${name}-${process.pid}`]);
  expect(mountsMentioning(b.dir)).toEqual([]);
  return r;
}

describe('linux.netDevices', () => {
  it('moves the interface in under its new name, with its addresses, up; the host no longer has it', () => {
    const dev = vethWithAddresses('n');
    const r = runWith({ [dev]: { name: 'eth1' } }, ['sh', '-c', `ip addr show eth1; ls /sys/class/net`], 'netdev');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/eth1@if\d+: <[^>]*\bUP\b[^>]*>/);
    expect(r.stdout).toContain('inet 192.0.2.6/24 scope global eth1');
    expect(r.stdout).toContain('inet6 2001:db8::6/64 scope global');
    expect(r.stdout).not.toContain(dev);
    // The container is gone, and its namespace with the veth end (virtual devices are destroyed).
    expect(existsSync(`/sys/class/net/${dev}`)).toBe(false);
  });

  it("moves it into a container with its own user namespace too (a helper left in the host's namespaces moves it)", () => {
    const dev = vethWithAddresses('w');
    const ids = { containerID: 0, hostID: 100000, size: 65536 };
    const b = bed.bundle((s) => {
      s.process!.args = ['ip', 'addr', 'show', 'eth1'];
      s.linux!.netDevices = { [dev]: { name: 'eth1' } };
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [ids];
      s.linux!.gidMappings = [ids];
    });
    chmodSync(b.dir, 0o755);
    const r = bed.keel.run(['run', '--bundle', b.dir, `netdev-userns-${process.pid}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('inet 192.0.2.6/24 scope global eth1');
  });

  it('keeps the host name without "name", and a %d template lets the kernel pick the number', () => {
    const dev = vethWithAddresses('t');
    expect(runWith({ [dev]: {} }, ['ls', '/sys/class/net'], 'netdev-same').stdout.split('\n')).toContain(dev);
    const dev2 = vethWithAddresses('u');
    expect(runWith({ [dev2]: { name: 'ceth%d' } }, ['ls', '/sys/class/net'], 'netdev-tmpl').stdout.split('\n')).toContain('ceth0');
  });

  it('a missing interface, a bad name, or no network namespace of its own is refused naming the field', () => {
    expect(runWith({ 'nosuch-k0': {} }, ['true'], 'netdev-missing').stderr).toMatch(/config\.json: \/linux\/netDevices\/nosuch-k0: no network interface "nosuch-k0" on the host/);
    const dev = vethWithAddresses('v');
    expect(runWith({ [dev]: { name: 'a/b' } }, ['true'], 'netdev-badname').stderr).toMatch(new RegExp(`/linux/netDevices/${dev}/name: "a/b" is not an interface name`));
    expect(runWith({ [dev]: {} }, ['true'], 'netdev-hostns', false).stderr).toMatch(/\/linux\/netDevices: moving network devices needs a network namespace of the container's own/);
    expect(existsSync(`/sys/class/net/${dev}`)).toBe(true);
  });
});
