import { describe, expect, it } from 'vitest';

import { ACC_MKNOD, ACC_READ, ACC_WRITE, DEV_BLOCK, DEV_CHAR, OP, compileDeviceProgram, encodeProgram, type Insn } from '../../../src/cgroups/device-bpf.js';
import { planDeviceProgram, planWrites } from '../../../src/cgroups/manager.js';
import { DEFAULT_ALLOWED_DEVICES } from '../../../src/cgroups/resources.js';
import type { LinuxDeviceCgroup } from '../../../src/spec/types.js';

/**
 * An eBPF interpreter for the instructions the compiler emits, run the way the kernel runs a
 * BPF_PROG_TYPE_CGROUP_DEVICE program: r1 points at struct bpf_cgroup_dev_ctx. Anything else
 * (another opcode, a jump out of the program, a read outside the context) fails the test.
 */
function run(prog: Insn[], type: number, major: number, minor: number, access: number): number {
  const ctx = [(access << 16) | type, major, minor];
  const r = new Array<number>(11).fill(0);
  let steps = 0;
  for (let pc = 0; ; pc++) {
    if (pc < 0 || pc >= prog.length) throw new Error(`jumped out of the program to ${pc}`);
    if (++steps > 10_000) throw new Error('loops');
    const x = prog[pc]!;
    switch (x.op) {
      case OP.LDX_MEM_W:
        if (x.src !== 1 || ![0, 4, 8].includes(x.off)) throw new Error(`load outside the context at ${pc}`);
        r[x.dst] = ctx[x.off / 4]!;
        break;
      case OP.MOV64_IMM:
        r[x.dst] = x.imm;
        break;
      case OP.MOV64_REG:
        r[x.dst] = r[x.src]!;
        break;
      case OP.AND64_IMM:
        r[x.dst] = r[x.dst]! & x.imm;
        break;
      case OP.RSH64_IMM:
        r[x.dst] = r[x.dst]! >>> x.imm;
        break;
      case OP.JA:
        pc += x.off;
        break;
      case OP.JNE_IMM:
        if (r[x.dst] !== x.imm) pc += x.off;
        break;
      case OP.JSET_IMM:
        if (r[x.dst]! & x.imm) pc += x.off;
        break;
      case OP.EXIT:
        return r[0]!;
      default:
        throw new Error(`unknown opcode 0x${x.op.toString(16)} at ${pc}`);
    }
  }
}

/** The v1 devices cgroup's answer, written as plainly as possible, to check the program against. */
function reference(rules: LinuxDeviceCgroup[], type: number, major: number, minor: number, access: number): number {
  for (const bit of [ACC_MKNOD, ACC_READ, ACC_WRITE]) {
    if (!(access & bit)) continue;
    let allowed = true;
    for (const rule of rules) {
      const t = rule.type ?? 'a';
      if (t === 'a') {
        allowed = rule.allow;
        continue;
      }
      const letter = bit === ACC_MKNOD ? 'm' : bit === ACC_READ ? 'r' : 'w';
      const matches = (t === 'b' ? DEV_BLOCK : DEV_CHAR) === type && (rule.major == null || rule.major === major) && (rule.minor == null || rule.minor === minor) && (rule.access ?? 'rwm').includes(letter);
      if (matches) allowed = rule.allow;
    }
    if (!allowed) return 0;
  }
  return 1;
}

const verdict = (rules: LinuxDeviceCgroup[], type: number, major: number, minor: number, access: number) => run(compileDeviceProgram(rules), type, major, minor, access);
const RW = ACC_READ | ACC_WRITE;
const DENY_ALL: LinuxDeviceCgroup = { allow: false, access: 'rwm' };
const CONTAINER = [DENY_ALL, ...DEFAULT_ALLOWED_DEVICES];

describe('device cgroup program (v2)', () => {
  it("with runc's defaults after deny-all: the usual devices open, others do not, and any node may be made", () => {
    for (const [major, minor] of [[1, 3], [1, 5], [1, 7], [1, 8], [1, 9], [5, 0], [5, 2], [136, 0], [136, 17]]) expect(verdict(CONTAINER, DEV_CHAR, major!, minor!, RW)).toBe(1);
    expect(verdict(CONTAINER, DEV_CHAR, 10, 200, RW)).toBe(0); // /dev/net/tun
    expect(verdict(CONTAINER, DEV_CHAR, 10, 200, ACC_READ)).toBe(0);
    expect(verdict(CONTAINER, DEV_BLOCK, 8, 0, ACC_READ)).toBe(0); // /dev/sda
    expect(verdict(CONTAINER, DEV_BLOCK, 1, 3, RW)).toBe(0); // a block device with /dev/null's numbers
    expect(verdict(CONTAINER, DEV_BLOCK, 8, 0, ACC_MKNOD)).toBe(1);
    expect(verdict(CONTAINER, DEV_CHAR, 10, 200, ACC_MKNOD | ACC_READ)).toBe(0);
  });

  it('no rules, or an allow-all last, allows everything; a deny-all last denies everything', () => {
    expect(verdict([], DEV_CHAR, 10, 200, RW | ACC_MKNOD)).toBe(1);
    expect(verdict([...CONTAINER, { allow: true, access: 'rwm' }], DEV_BLOCK, 8, 0, RW)).toBe(1);
    expect(verdict([...DEFAULT_ALLOWED_DEVICES, DENY_ALL], DEV_CHAR, 1, 3, ACC_READ)).toBe(0);
  });

  it('the last matching rule wins, kind by kind: a later "deny w" leaves reading allowed', () => {
    const rules: LinuxDeviceCgroup[] = [DENY_ALL, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }];
    expect(verdict(rules, DEV_CHAR, 1, 3, ACC_READ)).toBe(1);
    expect(verdict(rules, DEV_CHAR, 1, 3, ACC_WRITE)).toBe(0);
    expect(verdict(rules, DEV_CHAR, 1, 3, RW)).toBe(0);
    // A deny of the whole major taken back for one minor by a later allow.
    const major: LinuxDeviceCgroup[] = [{ allow: false, type: 'c', major: 1, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 9, access: 'r' }];
    expect(verdict(major, DEV_CHAR, 1, 9, ACC_READ)).toBe(1);
    expect(verdict(major, DEV_CHAR, 1, 9, ACC_WRITE)).toBe(0);
    expect(verdict(major, DEV_CHAR, 1, 8, ACC_READ)).toBe(0);
    expect(verdict(major, DEV_CHAR, 2, 8, ACC_READ)).toBe(1);
  });

  it('agrees with the v1 rules on random rule lists and devices', () => {
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const pick = <T>(xs: T[]) => xs[rand(xs.length)]!;
    for (let round = 0; round < 300; round++) {
      const rules: LinuxDeviceCgroup[] = Array.from({ length: rand(8) }, () => ({
        allow: rand(2) === 0,
        type: pick(['a', 'c', 'b', 'c'] as const),
        major: rand(3) ? rand(3) : undefined,
        minor: rand(3) ? rand(3) : undefined,
        access: pick(['r', 'w', 'm', 'rw', 'rwm', 'wm']),
      }));
      const prog = compileDeviceProgram(rules);
      for (let q = 0; q < 20; q++) {
        const args = [pick([DEV_BLOCK, DEV_CHAR]), rand(3), rand(3), 1 + rand(7)] as const;
        expect(run(prog, ...args), JSON.stringify({ rules, args })).toBe(reference(rules, ...args));
      }
    }
  });

  it('encodes struct bpf_insn: code, dst and src nibbles, little-endian offset and immediate', () => {
    const bytes = encodeProgram([{ op: OP.LDX_MEM_W, dst: 2, src: 1, off: 4, imm: 0 }, { op: OP.JNE_IMM, dst: 3, src: 0, off: -1, imm: 0x10203 }]);
    expect([...bytes]).toEqual([0x61, 0x12, 4, 0, 0, 0, 0, 0, 0x55, 0x03, 0xff, 0xff, 3, 2, 1, 0]);
  });
});

describe('which hosts get a device program', () => {
  const v2 = { mode: 'v2' as const, root: '/sys/fs/cgroup', v1: [] };
  const hybrid = { mode: 'hybrid' as const, root: '/sys/fs/cgroup', v1: [{ dir: 'devices', options: 'devices' }], unifiedDir: 'unified' };

  it("v2: the program of everything denied, the config's rules and runc's defaults; v1 and hybrid: devices.allow/deny instead", () => {
    const tun = { allow: true, type: 'c' as const, major: 10, minor: 200, access: 'rwm' };
    const bytes = planDeviceProgram(v2, { devices: [tun] })!;
    expect(bytes).toEqual(encodeProgram(compileDeviceProgram([DENY_ALL, tun, ...DEFAULT_ALLOWED_DEVICES])));
    const prog = compileDeviceProgram([DENY_ALL, tun, ...DEFAULT_ALLOWED_DEVICES]);
    expect(run(prog, DEV_CHAR, 10, 200, RW)).toBe(1);
    expect(run(prog, DEV_CHAR, 10, 229, RW)).toBe(0);
    expect(planDeviceProgram(hybrid, { devices: [DENY_ALL] })).toBeUndefined();
    expect(planWrites(hybrid, { devices: [DENY_ALL] }).map((w) => w.file)).toContain('devices.deny');
    expect(planWrites(v2, { devices: [DENY_ALL] }).filter((w) => w.file.startsWith('devices.'))).toEqual([]);
  });

  it('no device rules in the config: the same baseline as runc (only the always-allowed devices)', () => {
    const prog = compileDeviceProgram([DENY_ALL, ...DEFAULT_ALLOWED_DEVICES]);
    expect(planDeviceProgram(v2, {})).toEqual(encodeProgram(prog));
    expect(run(prog, DEV_CHAR, 1, 3, RW)).toBe(1);
    expect(run(prog, DEV_BLOCK, 8, 0, RW)).toBe(0);
    expect(run(prog, DEV_CHAR, 10, 229, RW)).toBe(0);
  });
});
