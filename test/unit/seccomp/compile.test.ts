import { describe, expect, it } from 'vitest';

import { SYSCALLS } from '../../../build/generated/syscalls.mjs';
import { compileSeccomp } from '../../../src/seccomp/compile.js';
import type { LinuxSeccomp } from '../../../src/spec/types.js';

const X86_64 = 0xc000003e;
const I386 = 0x40000003;
const AARCH64 = 0xc00000b7;

/** A classic-BPF interpreter for the instructions seccomp filters use: the verdict for one call. */
function run(program: Uint8Array, call: { arch: number; nr: number; args?: bigint[] }): number {
  const data = Buffer.alloc(64);
  data.writeInt32LE(call.nr, 0);
  data.writeUInt32LE(call.arch, 4);
  (call.args ?? []).forEach((a, i) => data.writeBigUInt64LE(BigInt.asUintN(64, a), 16 + 8 * i));
  const buf = Buffer.from(program);
  let acc = 0;
  for (let pc = 0; pc < buf.length / 8; pc++) {
    const code = buf.readUInt16LE(pc * 8), jt = buf[pc * 8 + 2]!, jf = buf[pc * 8 + 3]!, k = buf.readUInt32LE(pc * 8 + 4);
    switch (code) {
      case 0x20: acc = data.readUInt32LE(k); break; // ld [k]
      case 0x54: acc = (acc & k) >>> 0; break; // and #k
      case 0x05: pc += k; break; // ja
      case 0x15: pc += acc === k ? jt : jf; break; // jeq
      case 0x25: pc += acc > k ? jt : jf; break; // jgt
      case 0x35: pc += acc >= k ? jt : jf; break; // jge
      case 0x06: return k; // ret
      default: throw new Error(`unexpected instruction ${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error('fell off the end of the program');
}

const ALLOW = 0x7fff0000;
const ERRNO = (e: number) => 0x00050000 | e;
const KILL_PROCESS = 0x80000000;
const nr = (name: string, table: 'x86_64' | 'x86' | 'x32' | 'aarch64' = 'x86_64') => SYSCALLS[table][name]!;

describe('seccomp compiler', () => {
  const profile: LinuxSeccomp = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: ['read', 'write', 'no_such_syscall'], action: 'SCMP_ACT_ALLOW' },
      { names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' },
      { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
    ],
  };
  const { program, unknownSyscalls } = compileSeccomp(profile);

  it('gives each listed syscall its action and the rest the default, on every listed architecture', () => {
    expect(run(program, { arch: X86_64, nr: nr('read') })).toBe(ALLOW);
    expect(run(program, { arch: X86_64, nr: nr('uname') })).toBe(KILL_PROCESS);
    expect(run(program, { arch: X86_64, nr: nr('mkdir') })).toBe(ERRNO(13));
    expect(run(program, { arch: X86_64, nr: nr('getpid') })).toBe(ERRNO(38));
    expect(run(program, { arch: I386, nr: nr('write', 'x86') })).toBe(ALLOW);
    expect(run(program, { arch: I386, nr: nr('getpid', 'x86') })).toBe(ERRNO(38));
  });

  it('kills calls from architectures not listed, and x32 calls unless x32 is listed', () => {
    expect(run(program, { arch: AARCH64, nr: 63 })).toBe(KILL_PROCESS);
    expect(run(program, { arch: X86_64, nr: nr('read', 'x32') })).toBe(KILL_PROCESS);
    const withX32 = compileSeccomp({ ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X32'] }).program;
    expect(run(withX32, { arch: X86_64, nr: nr('read', 'x32') })).toBe(ALLOW);
  });

  it('has an aarch64 table from asm-generic/unistd.h, with the 64-bit names of the 32/64 pairs', () => {
    // Spot checks against arm64's published numbers; the rest comes from the same header.
    expect([nr('read', 'aarch64'), nr('openat', 'aarch64'), nr('fcntl', 'aarch64'), nr('newfstatat', 'aarch64'), nr('mmap', 'aarch64'), nr('clone3', 'aarch64')]).toEqual([63, 56, 25, 79, 222, 435]);
    // aarch64 never had the old calls, nor the 32-bit variants
    for (const gone of ['open', 'mkdir', 'fork', 'fcntl64', 'arch_specific_syscall']) expect(SYSCALLS.aarch64[gone]).toBeUndefined();
  });

  it('checks aarch64 calls with AUDIT_ARCH_AARCH64 and its own numbers when SCMP_ARCH_AARCH64 is listed', () => {
    const both = compileSeccomp({ ...profile, architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'] });
    expect(both.unknownArchitectures).toEqual([]);
    expect(run(both.program, { arch: AARCH64, nr: nr('read', 'aarch64') })).toBe(ALLOW);
    expect(run(both.program, { arch: AARCH64, nr: nr('uname', 'aarch64') })).toBe(KILL_PROCESS);
    expect(run(both.program, { arch: AARCH64, nr: nr('mkdirat', 'aarch64') })).toBe(ERRNO(38)); // mkdir has no aarch64 number
    expect(run(both.program, { arch: AARCH64, nr: nr('personality', 'aarch64'), args: [8n] })).toBe(ALLOW);
    expect(run(both.program, { arch: AARCH64, nr: nr('personality', 'aarch64'), args: [0n] })).toBe(ERRNO(38));
    // x86_64's numbers still mean x86_64's calls
    expect(run(both.program, { arch: X86_64, nr: nr('uname') })).toBe(KILL_PROCESS);
    expect(run(both.program, { arch: X86_64, nr: 63 })).toBe(KILL_PROCESS); // 63 is uname on x86_64
    // an aarch64-only profile: x86_64 calls are killed
    const arm = compileSeccomp({ ...profile, architectures: ['SCMP_ARCH_AARCH64'] });
    expect(run(arm.program, { arch: X86_64, nr: nr('read') })).toBe(KILL_PROCESS);
    expect(run(arm.program, { arch: AARCH64, nr: nr('write', 'aarch64') })).toBe(ALLOW);
  });

  it('skips syscall names no listed architecture knows, as runc does', () => {
    expect(unknownSyscalls).toEqual(['no_such_syscall']);
  });

  it('allows an argument value and denies another', () => {
    expect(run(program, { arch: X86_64, nr: nr('personality'), args: [8n] })).toBe(ALLOW);
    expect(run(program, { arch: X86_64, nr: nr('personality'), args: [9n] })).toBe(ERRNO(38));
    expect(run(program, { arch: X86_64, nr: nr('personality'), args: [8n | (1n << 32n)] })).toBe(ERRNO(38));
  });

  it.each([
    ['SCMP_CMP_NE', 5n, [[4n, true], [5n, false], [5n + (1n << 32n), true]]],
    ['SCMP_CMP_LT', 5n, [[4n, true], [5n, false], [1n << 32n, false]]],
    ['SCMP_CMP_LE', 5n, [[5n, true], [6n, false], [0n, true]]],
    ['SCMP_CMP_GT', 1n << 32n, [[(1n << 32n) + 1n, true], [1n << 32n, false], [0xffffffffn, false]]],
    ['SCMP_CMP_GE', 1n << 32n, [[1n << 32n, true], [0xffffffffn, false], [1n << 40n, true]]],
  ] as const)('compares 64-bit values with %s', (op, value, cases) => {
    const p = compileSeccomp({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: Number(value), op }] }] }).program;
    for (const [arg, allowed] of cases) expect(run(p, { arch: X86_64, nr: nr('kill'), args: [0n, arg] }) === ALLOW).toBe(allowed);
  });

  it('compares masked values with SCMP_CMP_MASKED_EQ', () => {
    const p = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] }] }).program;
    expect(run(p, { arch: X86_64, nr: nr('clone'), args: [0x11n] })).toBe(ERRNO(1)); // no namespace flags: masked value is 0
    expect(run(p, { arch: X86_64, nr: nr('clone'), args: [0x20000000n] })).toBe(ALLOW); // CLONE_NEWPID set
  });

  it('gives the most restrictive action when several rules match, as libseccomp does', () => {
    const p = compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['getpid'], action: 'SCMP_ACT_ALLOW' }, { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 5 }] }).program;
    expect(run(p, { arch: X86_64, nr: nr('getpid') })).toBe(ERRNO(5));
  });

  it('refuses unknown actions and flags, naming the field', () => {
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_NOPE' as never })).toThrow('config.json: /linux/seccomp/defaultAction: unknown seccomp action "SCMP_ACT_NOPE"');
    expect(() => compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_NOPE'] })).toThrow(/\/linux\/seccomp\/flags: unknown seccomp flag/);
  });

  describe('SCMP_ACT_NOTIFY', () => {
    const USER_NOTIF = 0x7fc00000;
    const notify: LinuxSeccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      listenerPath: '/run/agent.sock',
      syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }, { names: ['mkdir'], action: 'SCMP_ACT_ALLOW' }, { names: ['getpid'], action: 'SCMP_ACT_NOTIFY' }, { names: ['getpid'], action: 'SCMP_ACT_ERRNO', errnoRet: 3 }],
    };

    it('returns USER_NOTIF and asks for a listener (SECCOMP_FILTER_FLAG_NEW_LISTENER)', () => {
      const c = compileSeccomp(notify);
      expect(c.notifies).toBe(true);
      expect(c.flags & 8).toBe(8);
      expect(run(c.program, { arch: X86_64, nr: nr('mkdir') })).toBe(USER_NOTIF);
      // libseccomp's precedence: ERRNO over NOTIFY, NOTIFY over ALLOW
      expect(run(c.program, { arch: X86_64, nr: nr('getpid') })).toBe(ERRNO(3));
      expect(compileSeccomp({ defaultAction: 'SCMP_ACT_ALLOW' }).notifies).toBe(false);
    });

    it('adds TSYNC_ESRCH to TSYNC, the only way the kernel takes TSYNC with a listener', () => {
      expect(compileSeccomp({ ...notify, flags: ['SECCOMP_FILTER_FLAG_TSYNC'] }).flags).toBe(1 | 8 | 16);
    });

    it('needs a listenerPath, is no default action, and spares what keel needs to hand the fd over', () => {
      expect(() => compileSeccomp({ ...notify, listenerPath: undefined })).toThrow('config.json: /linux/seccomp/listenerPath: missing: syscalls/0 uses SCMP_ACT_NOTIFY');
      expect(() => compileSeccomp({ ...notify, defaultAction: 'SCMP_ACT_NOTIFY' })).toThrow('/linux/seccomp/defaultAction: SCMP_ACT_NOTIFY cannot be the default action');
      expect(() => compileSeccomp({ ...notify, syscalls: [{ names: ['read', 'sendmsg'], action: 'SCMP_ACT_NOTIFY' }] })).toThrow('/linux/seccomp/syscalls/0/names: SCMP_ACT_NOTIFY cannot apply to sendmsg');
    });
  });
});
