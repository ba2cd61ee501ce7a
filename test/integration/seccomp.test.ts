/** seccomp filters enforced by the kernel, inside real containers. */
import { describe, expect, it } from 'vitest';

import type { LinuxSeccomp } from '../../src/spec/types.js';
import { makeBundle } from '../helpers/bundle.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;

let n = 0;
function runWith(seccomp: LinuxSeccomp, args: string[], noNewPrivileges = true) {
  const b = makeBundle((s) => {
    s.process!.args = args;
    s.process!.noNewPrivileges = noNewPrivileges;
    s.linux!.seccomp = seccomp;
  });
  bundles.push(b);
  return bed.keel.run(['run', '--bundle', b.dir, `seccomp-${n++}`]);
}

const ARCHES = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'];

describe('seccomp', () => {
  it('is in filter mode in the container, with no_new_privs as asked', () => {
    const r = runWith({ defaultAction: 'SCMP_ACT_ALLOW', architectures: ARCHES }, ['grep', '-E', '^(Seccomp|NoNewPrivs):', '/proc/self/status']);
    expect(r.stdout.replace(/\t/g, ' ')).toBe('NoNewPrivs: 1\nSeccomp: 2\n');
  });

  it('a syscall denied with SCMP_ACT_ERRNO returns that errno', () => {
    const r = runWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] }, ['mkdir', '/tmp/denied']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Permission denied');
  });

  it('SCMP_ACT_KILL_PROCESS kills the process with SIGSYS', () => {
    const r = runWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' }] }, ['uname']);
    expect(r.code).toBe(128 + 31);
  });

  it('an argument condition allows one value and denies another', () => {
    // chmod(path, mode) and fchmodat(dirfd, path, mode): mode 0700 is refused, others pass.
    const deny = (name: string, index: number) => ({ names: [name], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 1, args: [{ index, value: 0o700, op: 'SCMP_CMP_EQ' as const }] });
    const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [deny('chmod', 1), deny('fchmodat', 2)] };
    const r = runWith(profile, ['sh', '-c', 'touch /tmp/f; chmod 755 /tmp/f && echo 755-ok; chmod 700 /tmp/f || echo 700-refused']);
    expect(r.stdout).toBe('755-ok\n700-refused\n');
  });

  it('a default-deny profile that allows what a shell needs runs a busybox shell, also without no_new_privs', () => {
    const allowed = ['read', 'write', 'open', 'openat', 'close', 'stat', 'fstat', 'lstat', 'newfstatat', 'statx', 'mmap', 'mprotect', 'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'access', 'execve', 'exit', 'exit_group', 'wait4', 'clone', 'fork', 'vfork', 'getpid', 'getppid', 'getuid', 'geteuid', 'getgid', 'getegid', 'getcwd', 'chdir', 'fcntl', 'dup2', 'dup3', 'pipe', 'pipe2', 'arch_prctl', 'set_tid_address', 'prlimit64', 'uname', 'getdents64', 'readlink', 'sysinfo', 'lseek', 'kill',
      'prctl', 'getrlimit', 'setrlimit', 'nanosleep', 'clock_nanosleep',
      // without no_new_privs the final capabilities follow the filter (keel's only call after it):
      'capset'];
    const profile: LinuxSeccomp = { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ARCHES, syscalls: [{ names: allowed, action: 'SCMP_ACT_ALLOW' }] };
    for (const nnp of [true, false]) {
      const r = runWith(profile, ['sh', '-c', 'echo hello; mkdir /tmp/x 2>&1 || true'], nnp);
      expect(r.stdout).toBe('hello\nmkdir: can\'t create directory \'/tmp/x\': Operation not permitted\n');
      expect(r.code).toBe(0);
    }
  });

  it('SCMP_ACT_NOTIFY without a listenerPath is refused before anything runs, naming the field', () => {
    const r = runWith({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' }] }, ['true']);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: expect.stringContaining('/linux/seccomp/listenerPath: missing: syscalls/0 uses SCMP_ACT_NOTIFY') });
    expect(bed.keel.containers()).toEqual([]);
  });
});
