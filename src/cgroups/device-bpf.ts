/**
 * linux.resources.devices on cgroup v2: v2 has no devices.allow/deny files; the kernel asks a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup instead, on every open and mknod of a
 * device node. This module compiles the rules into that program (pure, unit-tested with an
 * interpreter); manager.ts has it loaded and attached.
 *
 * Semantics, as v1's devices.allow/deny give them for the same rules written in order:
 * - a rule of type "a" (all devices) resets everything: from there on the default is its verdict;
 *   rules before it no longer count. Before any, a new cgroup allows everything (v1's default).
 * - after the last reset, the last rule that matches decides; a rule matches a device when its
 *   type, major and minor match (absent major/minor: any) and its access holds the access asked.
 * - an access of several kinds ("rw") is allowed only when each kind is: a later "deny w" takes
 *   writing away from an earlier "allow rw" and leaves reading, as in v1.
 */
import type { LinuxDeviceCgroup } from '../spec/types.js';

/** struct bpf_cgroup_dev_ctx: access_type = (access << 16) | type, then major, minor (u32 each). */
export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;
export const ACC_MKNOD = 1;
export const ACC_READ = 2;
export const ACC_WRITE = 4;

// eBPF opcodes (linux/bpf.h, linux/bpf_common.h): class | op | source.
export const OP = {
  LDX_MEM_W: 0x61, // dst = *(u32 *)(src + off)
  MOV64_IMM: 0xb7,
  MOV64_REG: 0xbf,
  AND64_IMM: 0x57,
  RSH64_IMM: 0x77,
  JA: 0x05,
  JNE_IMM: 0x55,
  JSET_IMM: 0x45,
  EXIT: 0x95,
} as const;

export interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (op: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ op, dst, src, off, imm });

interface Rule {
  allow: boolean;
  type: number;
  major?: number;
  minor?: number;
  access: number;
}

function accessBits(access: string | undefined): number {
  let bits = 0;
  for (const c of access ?? 'rwm') bits |= c === 'r' ? ACC_READ : c === 'w' ? ACC_WRITE : c === 'm' ? ACC_MKNOD : 0;
  return bits;
}

/** The rules that still count (after the last "a" rule), and the verdict when none matches. */
export function effectiveRules(rules: readonly LinuxDeviceCgroup[]): { defaultAllow: boolean; rules: Rule[] } {
  let defaultAllow = true;
  let kept: Rule[] = [];
  for (const r of rules) {
    const type = r.type ?? 'a';
    if (type === 'a') {
      defaultAllow = r.allow;
      kept = [];
      continue;
    }
    kept.push({ allow: r.allow, type: type === 'b' ? DEV_BLOCK : DEV_CHAR, major: r.major ?? undefined, minor: r.minor ?? undefined, access: accessBits(r.access) });
  }
  return { defaultAllow, rules: kept };
}

/**
 * The program: r2 = access asked, r3 = type, r4 = major, r5 = minor; then one block for each
 * kind of access (mknod, read, write) that returns 0 as soon as that kind is denied. Each block
 * tries the rules last to first; the first that matches gives its verdict, else the default.
 */
export function compileDeviceProgram(rules: readonly LinuxDeviceCgroup[]): Insn[] {
  const { defaultAllow, rules: kept } = effectiveRules(rules);
  const out: Insn[] = [
    insn(OP.LDX_MEM_W, 2, 1, 0),
    insn(OP.MOV64_REG, 3, 2),
    insn(OP.AND64_IMM, 3, 0, 0, 0xffff),
    insn(OP.RSH64_IMM, 2, 0, 0, 16),
    insn(OP.LDX_MEM_W, 4, 1, 4),
    insn(OP.LDX_MEM_W, 5, 1, 8),
  ];
  const deny = () => [insn(OP.MOV64_IMM, 0, 0, 0, 0), insn(OP.EXIT)];
  for (const bit of [ACC_MKNOD, ACC_READ, ACC_WRITE]) {
    const block: Insn[] = [];
    // Jumps to the end of this block ("this kind of access is allowed") are patched at the end.
    const toEnd: number[] = [];
    for (const rule of [...kept].reverse()) {
      if (!(rule.access & bit)) continue;
      const checks: [number, number][] = [[3, rule.type]];
      if (rule.major !== undefined) checks.push([4, rule.major]);
      if (rule.minor !== undefined) checks.push([5, rule.minor]);
      const verdictLength = rule.allow ? 1 : 2;
      checks.forEach(([reg, value], i) => block.push(insn(OP.JNE_IMM, reg, 0, checks.length - i - 1 + verdictLength, value)));
      if (rule.allow) {
        toEnd.push(block.length);
        block.push(insn(OP.JA));
      } else block.push(...deny());
    }
    if (!defaultAllow) block.push(...deny());
    for (const at of toEnd) block[at]!.off = block.length - at - 1;
    // Skip the block when this kind of access is not asked for: "if (r2 & bit) goto +1; goto end".
    out.push(insn(OP.JSET_IMM, 2, 0, 1, bit), insn(OP.JA, 0, 0, block.length), ...block);
  }
  out.push(insn(OP.MOV64_IMM, 0, 0, 0, 1), insn(OP.EXIT));
  return out;
}

/** struct bpf_insn as the kernel reads it: u8 code, u8 dst:4 src:4, s16 off, s32 imm (little-endian). */
export function encodeProgram(insns: readonly Insn[]): Buffer {
  const buf = Buffer.alloc(insns.length * 8);
  insns.forEach((x, i) => {
    buf.writeUInt8(x.op, i * 8);
    buf.writeUInt8((x.src << 4) | x.dst, i * 8 + 1);
    buf.writeInt16LE(x.off, i * 8 + 2);
    buf.writeInt32LE(x.imm, i * 8 + 4);
  });
  return buf;
}
