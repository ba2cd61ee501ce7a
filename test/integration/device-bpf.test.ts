/**
 * The v2 device program loaded and attached for real. This host is hybrid: its cgroup2 mount
 * (/sys/fs/cgroup/unified) has no controllers to speak of, but device programs attach to any
 * cgroup2 directory, and the kernel asks them on every open of a device node.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { compileDeviceProgram, encodeProgram } from '../../src/cgroups/device-bpf.js';
import { detectCgroupLayout, type CgroupLayout } from '../../src/cgroups/layout.js';
import { destroyCgroups, setupCgroups } from '../../src/cgroups/manager.js';
import { DEFAULT_ALLOWED_DEVICES } from '../../src/cgroups/resources.js';
import type { LinuxDeviceCgroup } from '../../src/spec/types.js';
import { KEEL, requireRootAndBuild } from '../helpers/keel.js';
import { useTestbed } from '../helpers/testbed.js';

// The cgroup2 mount: beside the v1 ones on this hybrid host, /sys/fs/cgroup itself on a pure v2 host.
const UNIFIED = detectCgroupLayout().mode === 'v2' ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
const bed = useTestbed();
const made: string[] = [];
let attach: (dir: string, program: Buffer) => void;

beforeAll(async () => {
  requireRootAndBuild();
  process.env.KEEL_NATIVE_DIR = join(KEEL, '..');
  ({ attachDeviceProgram: attach } = await import('../../src/native/libkeel.js'));
});

afterAll(() => {
  for (const dir of made.reverse()) rmdirSync(dir);
});

/** A fresh cgroup2 directory with the program for `rules` attached; a shell in it runs `script`. */
function inCgroup(name: string, rules: LinuxDeviceCgroup[], script: string): string {
  const dir = `${UNIFIED}/keel-test-bpf-${process.pid}-${name}`;
  mkdirSync(dir);
  made.push(dir);
  attach(dir, encodeProgram(compileDeviceProgram(rules)));
  const r = spawnSync('sh', ['-c', `echo $$ > ${dir}/cgroup.procs && ${script}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return r.stdout + r.stderr;
}

describe('cgroup v2 device program', () => {
  it('a program that denies c 1:3 makes /dev/null fail with EPERM (even for root) while /dev/zero opens', () => {
    const out = inCgroup('null', [{ allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }], 'cat /dev/null; echo null=$?; head -c 3 /dev/zero | wc -c; echo zero=$?');
    expect(out).toMatch(/cat: \/dev\/null: Operation not permitted/);
    expect(out).toMatch(/null=1/);
    expect(out).toMatch(/^\s*3\s*$/m);
    expect(out).toMatch(/zero=0/);
  });

  it("a container's rules (deny all, runc's defaults): /dev/null opens, /dev/kmsg does not", () => {
    const out = inCgroup('container', [{ allow: false, access: 'rwm' }, ...DEFAULT_ALLOWED_DEVICES], 'cat /dev/null && echo null-ok; head -c 1 /dev/kmsg; echo kmsg=$?');
    expect(out).toContain('null-ok');
    expect(out).toMatch(/\/dev\/kmsg\b.*Operation not permitted/);
    expect(out).toMatch(/kmsg=1/);
  });

  it('a denied write leaves reading (c 1:3 rw, then deny w)', () => {
    const rules: LinuxDeviceCgroup[] = [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }];
    const out = inCgroup('write', rules, 'cat /dev/null && echo read-ok; echo x > /dev/null; echo write=$?');
    expect(out).toContain('read-ok');
    expect(out).toMatch(/write=[12]/);
    expect(out).toMatch(/Operation not permitted/);
  });
});

describe("the manager's v2 path", () => {
  it('setupCgroups in v2 mode attaches the program before the process joins: the container rules hold for it', async () => {
    // The unified mount as if it were a pure v2 host's root: what a v2 host does, on this kernel.
    const layout: CgroupLayout = { mode: 'v2', root: UNIFIED, v1: [] };
    const child = spawn('sh', ['-c', 'read go; head -c 1 /dev/kmsg; echo kmsg=$?; cat /dev/null && echo null-ok'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const path = `/keel-test-bpf-${process.pid}-manager/c`;
    const setup = setupCgroups(layout, path, { devices: [{ allow: false, access: 'rwm' }] }, child.pid!, attach);
    try {
      expect(readFileSync(`${UNIFIED}${path}/cgroup.procs`, 'utf8').trim()).toBe(String(child.pid));
      child.stdin.end('go\n');
      await new Promise((r) => child.on('exit', r));
      expect(out).toMatch(/\/dev\/kmsg\b.*Operation not permitted/);
      expect(out).toContain('kmsg=1');
      expect(out).toContain('null-ok');
    } finally {
      destroyCgroups(setup.dirs);
      if (existsSync(`${UNIFIED}/keel-test-bpf-${process.pid}-manager`)) rmdirSync(`${UNIFIED}/keel-test-bpf-${process.pid}-manager`);
    }
  });

  it('without a way to attach the program, v2 device rules are refused and nothing is left behind', () => {
    const layout: CgroupLayout = { mode: 'v2', root: UNIFIED, v1: [] };
    const path = `/keel-test-bpf-${process.pid}-noattach`;
    // (A PID that cannot exist: if the refusal were missing, moving it in fails with another message.)
    expect(() => setupCgroups(layout, path, { devices: [{ allow: false, access: 'rwm' }] }, 999_999_999)).toThrow(/linux\.resources\.devices needs a device program/);
    expect(existsSync(`${UNIFIED}${path}`)).toBe(false);
  });
});

describe('a container with device rules (v1 devices.deny here, the program on a v2 host)', () => {
  it("a host device without an allow rule cannot be opened, even by root in the container; with one it opens; runc's defaults always open", () => {
    // A host device that root opens without any capability (/dev/kmsg would need CAP_SYSLOG),
    // bound in: the node is there, only the cgroup can refuse it.
    // (Else a disk's node: every host of this kind has one, and opening it read-only changes nothing.)
    const candidates = ['/dev/loop0', '/dev/fuse', '/dev/net/tun', ...readdirSync('/sys/block').map((name) => `/dev/${name}`)];
    const device = candidates.find((d) => existsSync(d) && (statSync(d).isBlockDevice() || statSync(d).isCharacterDevice()));
    if (!device) throw new Error(`this host has none of ${candidates.join(', ')} to test device rules with`);
    const st = statSync(device);
    const rule = { allow: true, type: st.isBlockDevice() ? ('b' as const) : ('c' as const), major: (st.rdev >> 8) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00), access: 'rwm' };
    const container = (name: string, allowed: boolean) => {
      const b = bed.bundle((s) => {
        s.mounts!.push({ destination: '/dev/probe', source: device, type: 'bind', options: ['bind'] });
        // Without any rule in the config the baseline applies (as with runc): only the defaults.
        if (allowed) s.linux!.resources = { devices: [{ allow: false, access: 'rwm' }, rule] };
        else delete s.linux!.resources;
        s.process!.args = ['sh', '-c', 'id -u; true </dev/probe; echo probe=$?; head -c 3 /dev/zero | wc -c; cat /dev/null && echo null-ok'];
      });
      return bed.keel.run(['run', '--bundle', b.dir, name]);
    };
    // With its rule the device opens: what the next container fails at is the cgroup's doing.
    expect(container('open', true).stdout).toContain('probe=0');
    const r = container('denied', false);
    expect(r.stdout).toMatch(/^0\n/);
    expect(r.stderr).toMatch(/\/dev\/probe.*Operation not permitted/);
    expect(r.stdout).not.toContain('probe=0');
    expect(r.stdout).toMatch(/^\s*3\s*$/m);
    expect(r.stdout).toContain('null-ok');
  });
});
