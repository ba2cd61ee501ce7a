import { describe, expect, it } from 'vitest';

import type { CgroupLayout } from '../../../src/cgroups/layout.js';
import { compilePlan, type CompileInput } from '../../../src/plan/compile.js';
import { encodePlan } from '../../../src/plan/encode.js';
import { MS } from '../../../src/plan/mount-options.js';
import { MountCheck, OpCode } from '../../../src/plan/ops.js';
import { defaultSpec } from '../../../src/spec/default.js';
import type { Spec } from '../../../src/spec/types.js';

const HYBRID: CgroupLayout = {
  mode: 'hybrid',
  root: '/sys/fs/cgroup',
  v1: [
    { dir: 'cpu,cpuacct', options: 'cpu,cpuacct' },
    { dir: 'memory', options: 'memory' },
  ],
  unifiedDir: 'unified',
};

function input(edit: (s: Spec) => void = () => {}, cgroups: CgroupLayout = HYBRID): CompileInput {
  const spec = defaultSpec();
  spec.process!.terminal = false;
  edit(spec);
  return {
    id: 'test',
    spec,
    bundle: '/b',
    rootfs: '/b/rootfs',
    cgroupPath: '/keel/test',
    host: { cgroups, rootfsIsRamfs: false, rlimitCeiling: (name) => (name === 'RLIMIT_NOFILE' ? 20000n : undefined), kindOf: (p) => (p.endsWith('.conf') || p.startsWith('/run/netns/') ? 'file' : p.startsWith('/missing') ? undefined : 'dir') },
    fifoFd: 4,
    preserveFds: 0,
  };
}

const names = (inp: CompileInput) => compilePlan(inp).ops.map((o) => o.name);

describe('session keyring', () => {
  it("the container's init joins a new keyring _ses.<id>, searchable by its owner (runc's permissions)", () => {
    const op = compilePlan(input()).ops.find((o) => o.name === 'session-keyring')!;
    expect(op.strs).toEqual(['_ses.test']);
    expect(op.ints).toEqual([0x80000n]);
  });

  it('in a user namespace, searchable by "other" (as runc), and none with --no-new-keyring', () => {
    const userns = input((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    });
    expect(compilePlan(userns).ops.find((o) => o.name === 'session-keyring')!.ints).toEqual([0x8n]);
    expect(names({ ...input(), noNewKeyring: true })).not.toContain('session-keyring');
  });
});

describe('compilePlan', () => {
  it('orders the phases: cgroup sync, namespaces, fork, mounts, pivot, process, wait, exec', () => {
    const seq = names(input());
    expect(seq.slice(0, 6)).toEqual(['sync', 'unshare', 'loopback-up', 'fork-init', 'session-keyring', 'prepare-rootfs']);
    const at = (n: string) => seq.indexOf(n);
    expect(at('mount')).toBeGreaterThan(at('prepare-rootfs'));
    expect(at('pivot-root')).toBeGreaterThan(seq.lastIndexOf('mknod'));
    expect(at('mask')).toBeGreaterThan(at('pivot-root'));
    expect(at('bounding-set')).toBeLessThan(at('set-user'));
    expect(at('capabilities')).toBeGreaterThan(at('set-user'));
    // The working directory as root first (runc's order), and again as the user where root was refused.
    expect(at('chdir-as-root')).toBeLessThan(at('set-user'));
    expect(at('chdir')).toBeGreaterThan(at('set-user'));
    expect(at('resolve-exec')).toBeLessThan(at('wait-start'));
    expect(at('no-new-privileges')).toBeGreaterThan(at('wait-start'));
    expect(seq.at(-1)).toBe('exec');
  });

  it('creates the namespaces the config asks for in one unshare, and joins the ones with a path', () => {
    const plan = compilePlan(
      input((s) => {
        s.linux!.namespaces = [{ type: 'mount' }, { type: 'pid' }, { type: 'network', path: '/run/netns/x' }, { type: 'uts' }];
      }),
    ).ops;
    const unshare = plan.find((o) => o.name === 'unshare')!;
    expect(unshare.args.types).toEqual(['uts', 'pid', 'mount']);
    expect(unshare.ints[0]).toBe(BigInt(0x04000000 | 0x20000000 | 0x00020000));
    expect(plan.find((o) => o.name === 'setns')).toMatchObject({ args: { type: 'network', path: '/run/netns/x' } });
    // runc sets "lo" up only in a network namespace it makes; a joined one is its owner's.
    expect(plan.find((o) => o.name === 'loopback-up')).toBeUndefined();
  });

  it('refuses a config without a mount namespace, and a hostname without a UTS namespace', () => {
    expect(() => compilePlan(input((s) => (s.linux!.namespaces = [{ type: 'pid' }])))).toThrow(/needs a mount namespace/);
    expect(() => compilePlan(input((s) => (s.linux!.namespaces = [{ type: 'mount' }])))).toThrow(/hostname needs a UTS namespace|setting a hostname/);
  });

  it('creates a user namespace, waits for the id maps, makes the other namespaces, then becomes root in it', () => {
    const seq = names(
      input((s) => {
        s.linux!.namespaces!.push({ type: 'user' });
      }),
    );
    expect(seq.slice(0, 7)).toEqual(['sync', 'unshare', 'sync', 'unshare', 'loopback-up', 'set-ids', 'fork-init']);
  });

  it('writes the time offsets before it becomes root of the user namespace (the euid change makes /proc/self unwritable)', () => {
    const plan = compilePlan(
      input((s) => {
        s.linux!.namespaces!.push({ type: 'user' }, { type: 'time' });
        s.linux!.timeOffsets = { boottime: { secs: 86400 } };
      }),
    ).ops;
    const at = (what: string) => plan.findIndex((o) => o.name === what || o.what.includes(what));
    expect(at('timens_offsets')).toBeGreaterThan(at('unshare'));
    expect(at('timens_offsets')).toBeLessThan(at('set-ids'));
    expect(at('set-ids')).toBeLessThan(at('fork-init'));
  });

  it('refuses a read-only root without a /proc mount, naming root.readonly (keel remounts "/" through /proc/self/fd)', () => {
    const noProc = (s: Spec) => (s.mounts = s.mounts!.filter((m) => m.destination !== '/proc'));
    expect(() => compilePlan(input(noProc))).toThrow(/^config\.json: \/root\/readonly: a read-only root needs \/proc in the container/);
    expect(compilePlan(input((s) => (noProc(s), (s.root!.readonly = false)))).ops.some((o) => o.name === 'remount' && o.args.path === '/')).toBe(false);
  });

  it('turns mount options into flags, data and a remount for bind mounts', () => {
    const plan = compilePlan(
      input((s) => {
        s.mounts = [
          { destination: '/data', type: 'bind', source: 'host-dir', options: ['rbind', 'ro', 'nosuid', 'rprivate'] },
          { destination: '/etc/app.conf', type: 'bind', source: '/srv/app.conf', options: ['bind'] },
          { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777', 'size=10m'] },
        ];
        s.root!.readonly = false; // without /proc, a read-only root is refused
      }),
    ).ops.filter((o) => o.code === OpCode.MOUNT);
    const [data, file, tmp] = plan;
    expect(data!.strs.slice(0, 2)).toEqual(['/b/host-dir', '/data']);
    expect(data!.ints).toEqual([BigInt(MS.BIND | MS.REC), BigInt(MS.PRIVATE | MS.REC), BigInt(MS.RDONLY | MS.NOSUID), 0n, 0n, 0n, BigInt(MountCheck.NOT_ON_PROCFS)]);
    expect(file!.ints[3]).toBe(1n); // created as a file
    expect(tmp!.strs).toEqual(['tmpfs', '/tmp', 'tmpfs', 'mode=1777,size=10m']);
    expect(tmp!.ints[0]).toBe(BigInt(MS.NOSUID | MS.NODEV));
    expect(tmp!.what).toBe('mount tmpfs "tmpfs" on "/tmp" (nosuid,nodev,mode=1777,size=10m)');
  });

  it('refuses an argument or a variable longer than execve takes, naming it', () => {
    expect(() => compilePlan(input((s) => (s.process!.env = ['PATH=/bin', `A=${'x'.repeat(131070)}`])))).toThrow('config.json: /process/env/1: is 131072 bytes long: execve takes at most 131071 per argument or variable');
    expect(() => compilePlan(input((s) => (s.process!.args = ['sh', 'x'.repeat(131071)])))).not.toThrow();
  });

  it('refuses a bind mount whose source does not exist, naming the field', () => {
    expect(() => compilePlan(input((s) => (s.mounts = [{ destination: '/x', type: 'bind', source: '/missing/dir', options: ['bind'] }])))).toThrow(
      'config.json: /mounts/0/source: bind mount source "/missing/dir" does not exist',
    );
  });

  it('turns tmpcopyup into the copy-up field of a tmpfs mount, not filesystem data', () => {
    const onlyRun = (s: Spec) => {
      s.mounts = [{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'tmpcopyup'] }];
      s.root!.readonly = false; // without /proc, a read-only root is refused
    };
    const [tmp] = compilePlan(input(onlyRun)).ops.filter((o) => o.name === 'mount');
    expect(tmp!.ints[4]).toBe(1n);
    expect(tmp!.strs[3]).toBe('');
  });

  it('lays out cgroup v1 hierarchies on a hybrid host and a single cgroup2 mount on v2', () => {
    const hybrid = compilePlan(input()).ops.filter((o) => o.name === 'mount' && String(o.args.destination).startsWith('/sys/fs/cgroup'));
    expect(hybrid.map((o) => [o.args.destination, o.args.type])).toEqual([
      ['/sys/fs/cgroup', 'tmpfs'],
      ['/sys/fs/cgroup/cpu,cpuacct', 'cgroup'],
      ['/sys/fs/cgroup/memory', 'cgroup'],
    ]);
    const v2 = compilePlan(input(() => {}, { mode: 'v2', root: '/sys/fs/cgroup', v1: [] })).ops.filter((o) => o.args.destination === '/sys/fs/cgroup');
    expect(v2.map((o) => o.args.type)).toEqual(['cgroup2']);
  });

  it('keeps ambient capabilities only where they are permitted and inheritable, as the kernel requires', () => {
    const ambientOnly = compilePlan(input((s) => (s.process!.capabilities!.ambient = ['CAP_KILL']))).ops.find((o) => o.name === 'capabilities')!;
    expect(ambientOnly.args.ambient).toEqual([]);
    const withInh = compilePlan(
      input((s) => {
        s.process!.capabilities!.ambient = ['CAP_KILL'];
        s.process!.capabilities!.inheritable = ['CAP_KILL'];
      }),
    ).ops.find((o) => o.name === 'capabilities')!;
    expect(withInh.args.ambient).toEqual(['CAP_KILL']);
  });

  it('empties the capability sets left out of process.capabilities, bounding included (podman --cap-drop ALL)', () => {
    const plan = compilePlan(input((s) => (s.process!.capabilities = {}))).ops;
    expect(plan.find((o) => o.name === 'bounding-set')).toMatchObject({ ints: [0n], args: { keep: [] } });
  });

  it('gives no capabilities when the config lists none, as runc', () => {
    const plan = compilePlan(input((s) => delete s.process!.capabilities)).ops;
    expect(plan.find((o) => o.name === 'bounding-set')!.ints).toEqual([0n]);
    expect(plan.find((o) => o.name === 'capabilities')!.ints).toEqual([0n, 0n, 0n, 0n]);
  });

  it('sets the OOM score first, while still the host root, and only there', () => {
    const plan = compilePlan(
      input((s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.process!.oomScoreAdj = 100;
      }),
    ).ops;
    const writes = plan.flatMap((o, i) => (o.name === 'write-file' && o.args.path === '/proc/self/oom_score_adj' ? [i] : []));
    expect(writes).toEqual([1]);
    expect(plan[writes[0]!]!.args.content).toBe('100');
  });

  it('joins a user namespace by path, makes the other namespaces, then becomes root in it', () => {
    const names = compilePlan(input((s) => s.linux!.namespaces!.push({ type: 'user', path: '/run/netns/userns' }))).ops.map((o) => o.name);
    expect(names.slice(0, 6)).toEqual(['sync', 'setns', 'unshare', 'loopback-up', 'set-ids', 'fork-init']);
  });

  it('warns about unknown capabilities and skips them', () => {
    const plan = compilePlan(input((s) => s.process!.capabilities!.bounding!.push('CAP_FROM_THE_FUTURE')));
    expect(plan.warnings).toEqual(['unknown capability "CAP_FROM_THE_FUTURE" skipped (this kernel or keel does not know it)']);
  });

  it('refuses unknown rlimits and soft above hard, naming the field', () => {
    expect(() => compilePlan(input((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }])))).toThrow(/\/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_NOPE"/);
    expect(() => compilePlan(input((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }])))).toThrow(/soft limit 10 is above the hard limit 5/);
  });

  it('refuses a hard rlimit above what keel can grant, saying the host limit', () => {
    expect(() => compilePlan(input((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1048576 }])))).toThrow(
      "config.json: /process/rlimits/0/hard: RLIMIT_NOFILE hard limit 1048576 is above this host's 20000, and keel lacks CAP_SYS_RESOURCE to raise it: use at most 20000",
    );
  });

  it('collects every problem when given a report sink, instead of stopping at the first', () => {
    const problems: string[] = [];
    const inp = input((s) => {
      s.process!.rlimits = [{ type: 'RLIMIT_NOPE', soft: 1, hard: 1 }];
      s.mounts!.push({ destination: '/x', type: 'bind', source: '/missing/x', options: ['bind'] });
      s.linux!.namespaces!.push({ type: 'ipc' });
    });
    inp.report = (path, message) => problems.push(`${path}: ${message}`);
    compilePlan(inp);
    expect(problems).toEqual([
      expect.stringMatching(/^\/linux\/namespaces\/\d+\/type: the ipc namespace is listed twice$/),
      expect.stringMatching(/^\/mounts\/\d+\/source: bind mount source "\/missing\/x" does not exist$/),
      expect.stringMatching(/^\/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_NOPE"/),
    ]);
  });

  it('adds HOME=/ when the environment has none, and looks the program up in the PATH given', () => {
    const plan = compilePlan(input((s) => (s.process!.env = ['PATH=/opt/bin:/bin']))).ops;
    expect(plan.find((o) => o.name === 'resolve-exec')!.strs).toEqual(['sh', '/opt/bin:/bin']);
    expect(plan.at(-1)!.args.env).toEqual(['PATH=/opt/bin:/bin', 'HOME=/']);
  });

  it('falls back to chroot only on a ramfs root, and says so', () => {
    const inp = input();
    inp.host.rootfsIsRamfs = true;
    const plan = compilePlan(inp);
    expect(plan.ops.map((o) => o.name)).toContain('chroot');
    expect(plan.ops.map((o) => o.name)).not.toContain('pivot-root');
    expect(plan.warnings).toEqual([expect.stringContaining('is on ramfs, where pivot_root cannot work: using chroot')]);
  });

  it('installs a filter that notifies an agent before waiting for start, while keel is there to pass the fd on', () => {
    const seccomp = { defaultAction: 'SCMP_ACT_ALLOW' as const, listenerPath: '/run/a.sock', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_NOTIFY' as const }] };
    const ops = compilePlan(input((s) => {
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = seccomp;
    })).ops;
    const seq = ops.map((o) => o.name);
    expect(seq.slice(seq.indexOf('no-new-privileges'))).toEqual(['no-new-privileges', 'seccomp', 'wait-start', 'prepare-exec', 'capabilities', 'exec']);
    expect(ops.find((o) => o.name === 'seccomp')!.ints).toEqual([8n, 1n]);
    // without a listener, the filter comes last, after the wait and the capabilities
    const plain = names(input((s) => {
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
    }));
    expect(plain.slice(-6)).toEqual(['wait-start', 'prepare-exec', 'capabilities', 'no-new-privileges', 'seccomp', 'exec']);
  });

  it('leaves nothing after the filter but execve, and capset where the kernel needs the filter first', () => {
    const tail = (nnp: boolean, effective: string[]) =>
      names(input((s) => {
        s.process!.noNewPrivileges = nnp;
        s.process!.capabilities = { bounding: effective, effective, permitted: effective };
        s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' };
      })).slice(-4);
    expect(tail(true, [])).toEqual(['capabilities', 'no-new-privileges', 'seccomp', 'exec']);
    // Without no_new_privs the kernel demands CAP_SYS_ADMIN: unless the process keeps it, the
    // filter goes in before the final capabilities (keel-init raises it again for that).
    expect(tail(false, ['CAP_KILL'])).toEqual(['prepare-exec', 'seccomp', 'capabilities', 'exec']);
    expect(tail(false, ['CAP_SYS_ADMIN'])).toEqual(['prepare-exec', 'capabilities', 'seccomp', 'exec']);
    // Everything that may need another syscall comes before.
    const all = names(input((s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' })));
    expect(all.indexOf('seccomp')).toBeGreaterThan(Math.max(...['wait-start', 'set-user', 'chdir', 'umask', 'resolve-exec', 'prepare-exec', 'bounding-set'].map((n) => all.lastIndexOf(n))));
  });

  it('marks every fd above the preserved ones close-on-exec before exec', () => {
    const inp = input();
    inp.preserveFds = 2;
    expect(compilePlan(inp).ops.find((o) => o.name === 'prepare-exec')!.ints).toEqual([5n]);
  });
});

describe('encodePlan', () => {
  it('writes the header, then each op as code, counts, ints and NUL-terminated strings', () => {
    const buf = encodePlan([{ code: OpCode.SYMLINK, name: 'symlink', what: '', args: {}, ints: [-1n], strs: ['ab', 'c'] }]);
    expect(buf.subarray(0, 8).toString()).toBe('KEELPLAN');
    expect(buf.readUInt32LE(8)).toBe(1);
    expect(buf.readUInt32LE(12)).toBe(1);
    expect([buf.readUInt32LE(16), buf.readUInt32LE(20), buf.readUInt32LE(24)]).toEqual([OpCode.SYMLINK, 1, 2]);
    expect(buf.readBigInt64LE(28)).toBe(-1n);
    expect(buf.subarray(36).toString('latin1')).toBe('\x02\x00\x00\x00ab\x00\x01\x00\x00\x00c\x00');
  });

  it('takes bytes as they are, and puts ops one after another', () => {
    const op = (strs: (string | Uint8Array)[]) => ({ code: OpCode.SYMLINK, name: 'symlink', what: '', args: {}, ints: [], strs });
    const buf = encodePlan([op([new Uint8Array([0xff, 1])]), op(['é'])]);
    expect(buf.readUInt32LE(12)).toBe(2);
    expect(buf.subarray(16).toString('hex')).toBe(
      [`${OpCode.SYMLINK.toString(16).padStart(2, '0')}000000`, '00000000', '01000000', '02000000', 'ff0100', `${OpCode.SYMLINK.toString(16).padStart(2, '0')}000000`, '00000000', '01000000', '02000000', 'c3a900'].join(''),
    );
  });
});
