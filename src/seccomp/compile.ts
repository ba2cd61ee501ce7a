/**
 * The OCI seccomp object compiled to a classic BPF program, in TypeScript (no libseccomp).
 *
 * Shape: check the architecture (each listed one gets a section; anything else is killed), load
 * the syscall number, then one block per (rule, syscall) that returns the rule's action when the
 * number and every argument condition match, else falls through to the next; the default action
 * last. libseccomp gives the most restrictive action when several rules match, so rules are
 * ordered by that precedence and the first match here gives the same verdict.
 */
import { SYSCALLS } from '../../build/generated/syscalls.mjs';
import { ConfigError } from '../spec/problem.js';
import type { LinuxSeccomp, LinuxSeccompArg } from '../spec/types.js';
import { BPF, DATA, encodeProgram, insn, type Insn } from './bpf.js';

const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

const EPERM = 1;

/** libseccomp's precedence, most restrictive first. */
const PRECEDENCE = ['SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO', 'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_ACT_LOG', 'SCMP_ACT_ALLOW'];

/** SECCOMP_FILTER_FLAG_NEW_LISTENER: seccomp(2) returns the notify fd the agent answers on. */
export const FLAG_NEW_LISTENER = 8;
const FLAG_TSYNC_ESRCH = 16;

/**
 * What keel-init calls between installing a filter with SCMP_ACT_NOTIFY and handing the notify fd
 * to keel: notified there, they would wait for an agent that has no fd yet.
 */
const NEEDED_BEFORE_HANDOFF = ['sendto', 'sendmsg', 'recvfrom', 'recvmsg', 'close'];

/** linux/audit.h: EM_* | __AUDIT_ARCH_64BIT (0x80000000) | __AUDIT_ARCH_LE (0x40000000). */
const AUDIT_ARCH = { x86_64: 0xc000003e, x86: 0x40000003, aarch64: 0xc00000b7 } as const;
const X32_SYSCALL_BIT = 0x40000000;

/** OCI architecture names -> the tables keel has; x32 shares x86_64's audit arch. */
const ARCHES: Record<string, keyof typeof SYSCALLS> = {
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_AARCH64: 'aarch64',
};

export const FILTER_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export interface CompiledSeccomp {
  program: Uint8Array;
  instructions: number;
  flags: number;
  summary: string;
  /** Syscall names no listed architecture knows: skipped, as runc does. */
  unknownSyscalls: string[];
  /** Architectures keel has no syscall table for: their processes are killed by the filter. */
  unknownArchitectures: string[];
  /** Some rule notifies a seccomp agent: the filter is installed with a listener, sent to listenerPath. */
  notifies: boolean;
}

function actionValue(action: string, errnoRet: number | undefined, path: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET.TRAP;
    case 'SCMP_ACT_ERRNO':
      return RET.ERRNO | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_TRACE':
      return RET.TRACE | ((errnoRet ?? EPERM) & 0xffff);
    case 'SCMP_ACT_LOG':
      return RET.LOG;
    case 'SCMP_ACT_ALLOW':
      return RET.ALLOW;
    case 'SCMP_ACT_NOTIFY':
      return RET.USER_NOTIF;
    default:
      throw new ConfigError(path, `unknown seccomp action "${action}"`);
  }
}

const hi = (v: bigint) => Number((v >> 32n) & 0xffffffffn);
const lo = (v: bigint) => Number(v & 0xffffffffn);

/**
 * Instructions that fall through when the condition holds and jump `fail` instructions past their
 * own end when it does not. Values are unsigned 64-bit: the high words decide unless equal.
 */
function condition(arg: LinuxSeccompArg): (fail: number) => Insn[] {
  const value = BigInt.asUintN(64, BigInt(arg.value));
  const ldHi = insn(BPF.LD_W_ABS, DATA.argHigh(arg.index));
  const ldLo = insn(BPF.LD_W_ABS, DATA.argLow(arg.index));
  // "greater (or equal)" on 64 bits: hi > v.hi, or hi == v.hi and lo > (>=) v.lo.
  const above = (orEqual: boolean, whenTrue: 'pass' | 'fail') => (fail: number): Insn[] => {
    const cmp = orEqual ? BPF.JMP_JGE_K : BPF.JMP_JGT_K;
    if (whenTrue === 'pass') {
      // [ldHi, jgt hi ->pass(+3), jeq hi ->next(0) else fail, ldLo, cmp lo ->pass else fail]
      return [ldHi, insn(BPF.JMP_JGT_K, hi(value), 3, 0), insn(BPF.JMP_JEQ_K, hi(value), 0, fail + 2), ldLo, insn(cmp, lo(value), 0, fail)];
    }
    // The negation (LT is not GE, LE is not GT): a pass of "above" fails here.
    return [ldHi, insn(BPF.JMP_JGT_K, hi(value), fail + 3, 0), insn(BPF.JMP_JEQ_K, hi(value), 0, 2), ldLo, insn(cmp, lo(value), fail, 0)];
  };
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      return (fail) => [ldHi, insn(BPF.JMP_JEQ_K, hi(value), 0, fail + 2), ldLo, insn(BPF.JMP_JEQ_K, lo(value), 0, fail)];
    case 'SCMP_CMP_NE':
      return (fail) => [ldHi, insn(BPF.JMP_JEQ_K, hi(value), 0, 2), ldLo, insn(BPF.JMP_JEQ_K, lo(value), fail, 0)];
    case 'SCMP_CMP_GT':
      return above(false, 'pass');
    case 'SCMP_CMP_GE':
      return above(true, 'pass');
    case 'SCMP_CMP_LT':
      return above(true, 'fail');
    case 'SCMP_CMP_LE':
      return above(false, 'fail');
    case 'SCMP_CMP_MASKED_EQ': {
      const want = BigInt.asUintN(64, BigInt(arg.valueTwo ?? 0));
      return (fail) => [
        ldHi,
        insn(BPF.ALU_AND_K, hi(value)),
        insn(BPF.JMP_JEQ_K, hi(want), 0, fail + 3),
        ldLo,
        insn(BPF.ALU_AND_K, lo(value)),
        insn(BPF.JMP_JEQ_K, lo(want), 0, fail),
      ];
    }
    default:
      throw new ConfigError('/linux/seccomp', `unknown argument operator "${String(arg.op)}"`);
  }
}

/** One (syscall, conditions, action) check: falls through to the next when it does not match. */
function ruleBlock(nr: number, args: readonly LinuxSeccompArg[], action: number): Insn[] {
  const conds = args.map(condition);
  // Build back to front: each condition's failure jumps over everything after it, to the next rule.
  let tail: Insn[] = [insn(BPF.RET_K, action)];
  for (let i = conds.length - 1; i >= 0; i--) tail = [...conds[i]!(tail.length), ...tail];
  if (tail.length > 255) throw new ConfigError('/linux/seccomp', 'a seccomp rule has too many argument conditions');
  return [insn(BPF.JMP_JEQ_K, nr, 0, tail.length), ...tail];
}

export function compileSeccomp(seccomp: LinuxSeccomp): CompiledSeccomp {
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY') {
    // As runc: every call, keel-init's own included, would wait for an agent that has no fd yet.
    throw new ConfigError('/linux/seccomp/defaultAction', 'SCMP_ACT_NOTIFY cannot be the default action (notify chosen syscalls in /linux/seccomp/syscalls instead)');
  }
  const notifies = (seccomp.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
  (seccomp.syscalls ?? []).forEach((r, i) => {
    if (r.action !== 'SCMP_ACT_NOTIFY') return;
    if (!seccomp.listenerPath) throw new ConfigError('/linux/seccomp/listenerPath', `missing: syscalls/${i} uses SCMP_ACT_NOTIFY, which needs the path of the seccomp agent's socket`);
    const blocked = r.names.filter((n) => NEEDED_BEFORE_HANDOFF.includes(n));
    if (blocked.length) throw new ConfigError(`/linux/seccomp/syscalls/${i}/names`, `SCMP_ACT_NOTIFY cannot apply to ${blocked.join(', ')}: keel needs them to hand the notify fd to the agent`);
  });
  const defaultAction = actionValue(seccomp.defaultAction, seccomp.defaultErrnoRet, '/linux/seccomp/defaultAction');
  const listed = seccomp.architectures?.length ? seccomp.architectures : ['SCMP_ARCH_X86_64'];
  const unknownArchitectures = listed.filter((a) => !ARCHES[a]);
  const arches = new Set(listed.map((a) => ARCHES[a]).filter((a): a is keyof typeof SYSCALLS => a !== undefined));
  if (!arches.size) arches.add('x86_64');

  let flags = 0;
  for (const flag of seccomp.flags ?? []) {
    const bit = FILTER_FLAGS[flag];
    if (bit === undefined) throw new ConfigError('/linux/seccomp/flags', `unknown seccomp flag "${flag}" (known: ${Object.keys(FILTER_FLAGS).join(', ')})`);
    flags |= bit;
  }
  if (notifies) flags |= FLAG_NEW_LISTENER;
  // The kernel takes TSYNC with a listener only if told to report a failed sync as ESRCH.
  if (notifies && flags & FILTER_FLAGS.SECCOMP_FILTER_FLAG_TSYNC!) flags |= FLAG_TSYNC_ESRCH;

  const rules = (seccomp.syscalls ?? [])
    .map((rule, i) => ({ rule, action: actionValue(rule.action, rule.errnoRet, `/linux/seccomp/syscalls/${i}/action`), rank: PRECEDENCE.indexOf(rule.action) }))
    .sort((a, b) => a.rank - b.rank);
  const known = new Set<string>();

  /** The checks for one audit arch; `tables` are the syscall tables that share it. */
  const section = (tables: (keyof typeof SYSCALLS)[], rejectX32: boolean): Insn[] => {
    const body: Insn[] = [insn(BPF.LD_W_ABS, DATA.nr)];
    // x32 calls reach the filter with x86_64's audit arch and bit 30 set: unless x32 is listed, kill them.
    if (rejectX32) body.push(insn(BPF.JMP_JGE_K, X32_SYSCALL_BIT, 0, 1), insn(BPF.RET_K, RET.KILL_PROCESS));
    for (const { rule, action } of rules) {
      for (const name of rule.names) {
        for (const table of tables) {
          const nr = SYSCALLS[table][name];
          if (nr === undefined) continue;
          known.add(name);
          body.push(...ruleBlock(nr, rule.args ?? [], action));
        }
      }
    }
    body.push(insn(BPF.RET_K, defaultAction));
    return body;
  };

  const sections: { arch: number; body: Insn[] }[] = [];
  if (arches.has('x86_64') || arches.has('x32')) {
    const tables = (['x86_64', 'x32'] as const).filter((t) => arches.has(t));
    sections.push({ arch: AUDIT_ARCH.x86_64, body: section([...tables], !arches.has('x32')) });
  }
  if (arches.has('x86')) sections.push({ arch: AUDIT_ARCH.x86, body: section(['x86'], false) });
  if (arches.has('aarch64')) sections.push({ arch: AUDIT_ARCH.aarch64, body: section(['aarch64'], false) });

  // Dispatch: "jeq arch, next, skip 1; ja section" for each, then kill what no section takes.
  const program: Insn[] = [insn(BPF.LD_W_ABS, DATA.arch)];
  let offset = 0;
  sections.forEach((s, i) => {
    // The ja at 2+2i lands on its section at 2+2n+offset (ja skips k instructions after itself).
    program.push(insn(BPF.JMP_JEQ_K, s.arch, 0, 1), insn(BPF.JMP_JA, 2 * sections.length - 2 * i - 1 + offset));
    offset += s.body.length;
  });
  program.push(insn(BPF.RET_K, RET.KILL_PROCESS));
  for (const s of sections) program.push(...s.body);
  if (program.length > 4096) throw new ConfigError('/linux/seccomp', `the filter compiles to ${program.length} instructions, more than the kernel's 4096`);

  const unknownSyscalls = [...new Set(rules.flatMap(({ rule }) => rule.names))].filter((n) => !known.has(n));
  return {
    program: encodeProgram(program),
    instructions: program.length,
    flags,
    summary: `default ${seccomp.defaultAction}, ${rules.length} rules, ${[...arches].join('+')}, ${program.length} instructions`,
    unknownSyscalls,
    unknownArchitectures,
    notifies,
  };
}
