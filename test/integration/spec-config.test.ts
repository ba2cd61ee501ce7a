/**
 * The MUSTs of the runtime-spec's config.md and config-linux.md that a process can see from inside
 * its container, one test per sentence, each named after it (hooks' are in hooks.test.ts). Several
 * are also checked, in other words, elsewhere: run.test.ts (devices, read-only root, env and
 * user), mounts.test.ts (mount options), namespaces.test.ts, userns.test.ts, sysctl.test.ts,
 * process-setup.test.ts (groups, cwd), process-policy.test.ts (rlimits, capabilities).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { eventually } from '../helpers/host.js';
import type { Bundle } from '../helpers/bundle.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let n = 0;
const newId = () => `spec-cfg-${process.pid}-${n++}`;

/** `keel run` of `script` in a busybox container configured by `edit`; `prepare` may fill the rootfs first. */
function run(edit: (s: Spec) => void, script: string, prepare: (b: Bundle) => void = () => {}) {
  const b = bed.bundle((s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  prepare(b);
  return { ...bed.keel.run(['run', '--bundle', b.dir, newId()]), bundle: b };
}

/** Like run, and the run must succeed with nothing on stderr: its stdout. */
function output(edit: (s: Spec) => void, script: string, prepare?: (b: Bundle) => void): string {
  const r = run(edit, script, prepare);
  expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });
  return r.stdout;
}

/** The capability sets of /proc/self/status as masks. */
const capMask = (names: string[]) => names.reduce((m, c) => m | (1n << BigInt(CAP_NUMBERS[c]!)), 0n);
const CAP_NUMBERS: Record<string, number> = { CAP_CHOWN: 0, CAP_KILL: 5, CAP_NET_BIND_SERVICE: 10, CAP_NET_RAW: 13, CAP_SYS_ADMIN: 21 };

describe('config.md: root', () => {
  it('root.path: a directory MUST exist at the path declared by the field (else an error)', () => {
    const r = run((s) => (s.root!.path = 'no-such-rootfs'), 'true');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\/root\/path: .*no-such-rootfs.* does not exist/);
  });

  it('root.readonly: if true then the root filesystem MUST be read-only inside the container', () => {
    const out = output((s) => (s.root!.readonly = true), 'touch /newfile 2>&1; echo status=$?; grep -E "^\\S+ / " /proc/self/mounts | cut -d" " -f4 | cut -d, -f1');
    expect(out).toMatch(/Read-only file system\nstatus=1\nro\n$/);
  });
});

describe('config.md: mounts', () => {
  it('the runtime MUST mount entries in the listed order', () => {
    // The second tmpfs lands inside the first (listed after it); the third covers the second.
    const out = output(
      (s) => {
        s.mounts!.push(
          { destination: '/m', type: 'tmpfs', source: 'first', options: ['size=1m'] },
          { destination: '/m/inner', type: 'tmpfs', source: 'second', options: ['size=2m'] },
          { destination: '/m/inner', type: 'tmpfs', source: 'third', options: ['size=3m'] },
        );
      },
      'grep -E "^(first|second|third) " /proc/self/mounts | cut -d" " -f1,2',
    );
    expect(out).toBe('first /m\nsecond /m/inner\nthird /m/inner\n');
  });

  it('a relative destination MUST be interpreted as relative to "/"', () => {
    const out = output((s) => s.mounts!.push({ destination: 'relative-dest', type: 'tmpfs', source: 'reltmp', options: ['size=1m'] }), 'grep "^reltmp " /proc/self/mounts | cut -d" " -f2');
    expect(out).toBe('/relative-dest\n');
  });

  it('the mount options runtimes MUST implement reach the mount (ro, nosuid, nodev, noexec, noatime; bind, rbind)', () => {
    const source = join(bed.bundle().dir, 'src');
    mkdirSync(source);
    const out = output(
      (s) => {
        s.mounts!.push(
          { destination: '/opts', type: 'tmpfs', source: 'optstmp', options: ['ro', 'nosuid', 'nodev', 'noexec', 'noatime'] },
          { destination: '/bound', type: 'bind', source, options: ['rbind', 'ro', 'nosuid'] },
        );
      },
      'for p in /opts /bound; do grep " $p " /proc/self/mounts | cut -d" " -f4; done',
    );
    const [opts, bound] = out.trim().split('\n').map((l) => l.split(','));
    expect(opts).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec', 'noatime']));
    expect(bound).toEqual(expect.arrayContaining(['ro', 'nosuid']));
  });
});

describe('config.md: process', () => {
  it('consoleSize: runtimes MUST ignore it if terminal is false', () => {
    expect(output((s) => (s.process!.consoleSize = { height: 10, width: 20 }), 'echo ran')).toBe('ran\n');
  });

  it('cwd: the working directory that will be set for the executable', () => {
    expect(output((s) => (s.process!.cwd = '/etc'), 'pwd')).toBe('/etc\n');
  });

  it('env: the process gets these variables (and HOME from /etc/passwd, as runc; the shell adds PWD and SHLVL)', () => {
    expect(output((s) => (s.process!.env = ['PATH=/bin', 'A=1', 'B=two words']), 'env | sort')).toBe('A=1\nB=two words\nHOME=/root\nPATH=/bin\nPWD=/\nSHLVL=1\n');
  });

  it('rlimits: rlim_cur MUST match the configured soft and rlim_max the configured hard value', () => {
    const out = output(
      (s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1000, hard: 2000 }, { type: 'RLIMIT_CORE', soft: 4096, hard: 8192 }, { type: 'RLIMIT_NPROC', soft: 300, hard: 400 }]),
      'ulimit -Sn; ulimit -Hn; grep -E "^Max (core file size|processes)" /proc/self/limits | tr -s " "',
    );
    expect(out).toBe('1000\n2000\nMax core file size 4096 8192 bytes \nMax processes 300 400 processes \n');
  });

  it('rlimits: the runtime MUST generate an error for a value that cannot be mapped to a kernel interface', () => {
    const r = run((s) => (s.process!.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }]), 'echo ran');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/\/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_BOGUS"/);
  });

  it('rlimits: duplicated entries with the same type MUST generate an error', () => {
    const r = run((s) => (s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 }, { type: 'RLIMIT_NOFILE', soft: 20, hard: 20 }]), 'echo ran');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/\/process\/rlimits\/1\/type: duplicate rlimit "RLIMIT_NOFILE"/);
  });

  it('user: uid, gid, additionalGids and umask in the container', () => {
    const out = output((s) => (s.process!.user = { uid: 1234, gid: 5678, additionalGids: [11, 12], umask: 0o027 }), 'id -u; id -g; id -G; umask');
    expect(out).toBe('1234\n5678\n5678 11 12\n0027\n');
  });

  it('capabilities: each set holds exactly what the config lists', () => {
    const caps = { bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'], permitted: ['CAP_CHOWN', 'CAP_KILL'], effective: ['CAP_CHOWN', 'CAP_KILL'], inheritable: ['CAP_KILL'], ambient: ['CAP_KILL'] };
    const out = output((s) => (s.process!.capabilities = caps), 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status');
    const seen = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/:\s+/)).map(([k, v]) => [k, BigInt(`0x${v}`)]));
    expect(seen).toEqual({ CapInh: capMask(caps.inheritable), CapPrm: capMask(caps.permitted), CapEff: capMask(caps.effective), CapBnd: capMask(caps.bounding), CapAmb: capMask(caps.ambient) });
  });

  it('capabilities: a value that cannot be mapped to the kernel MUST be logged as a warning (and the container runs)', () => {
    const r = run((s) => s.process!.capabilities!.bounding!.push('CAP_NO_SUCH_THING'), 'echo ran');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ran\n');
    expect(r.stderr).toMatch(/warn.*CAP_NO_SUCH_THING/i);
  });

  it('noNewPrivileges: the process cannot gain privileges (no_new_privs is set)', () => {
    expect(output((s) => (s.process!.noNewPrivileges = true), 'grep NoNewPrivs /proc/self/status').replace(/\s+/g, ' ')).toBe('NoNewPrivs: 1 ');
  });

  it('oomScoreAdj: if set, the runtime MUST set oom_score_adj to the given value', () => {
    expect(output((s) => (s.process!.oomScoreAdj = 456), 'cat /proc/self/oom_score_adj')).toBe('456\n');
  });

  it('oomScoreAdj: if not set, the runtime MUST NOT change the value of oom_score_adj', () => {
    // keel runs with the test's own value (its parent's, here set to something no default is).
    const mine = readFileSync('/proc/self/oom_score_adj', 'utf8').trim();
    writeFileSync('/proc/self/oom_score_adj', '123');
    try {
      expect(output((s) => delete s.process!.oomScoreAdj, 'cat /proc/self/oom_score_adj')).toBe('123\n');
    } finally {
      writeFileSync('/proc/self/oom_score_adj', mine);
    }
  });
});

describe('config.md: hostname and domainname', () => {
  it("hostname and domainname: the container's own, as processes inside see them", () => {
    const out = output((s) => Object.assign(s, { hostname: 'spec-host', domainname: 'spec.example' }), 'hostname; cat /proc/sys/kernel/domainname');
    expect(out).toBe('spec-host\nspec.example\n');
    expect(readFileSync('/proc/sys/kernel/hostname', 'utf8')).not.toBe('spec-host\n');
  });
});

describe('config-linux.md: namespaces', () => {
  const NS = ['pid', 'net', 'ipc', 'uts', 'mnt', 'cgroup'];
  const nsOf = (pid: number | 'self', ns: string) => readlinkSync(`/proc/${pid}/ns/${ns}`);

  it('without a path, the runtime MUST create a new namespace of that type', () => {
    const inside = output(() => {}, `for ns in ${NS.join(' ')}; do readlink /proc/self/ns/$ns; done`).trim().split('\n');
    inside.forEach((link, i) => expect(link).not.toBe(nsOf('self', NS[i]!)));
  });

  it('a namespace type not listed MUST be inherited from the runtime', () => {
    const out = output((s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'network' && ns.type !== 'ipc')), 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc');
    expect(out).toBe(`${nsOf('self', 'net')}\n${nsOf('self', 'ipc')}\n`);
  });

  it('with a path, the runtime MUST place the container process in the namespace at that path', async () => {
    const first = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = newId();
    bed.keel.ok(['run', '-d', '--bundle', first.dir, id]);
    const pid = (JSON.parse(bed.keel.ok(['state', id])) as { pid: number }).pid;
    try {
      const out = output((s) => (s.linux!.namespaces = s.linux!.namespaces!.map((ns) => (ns.type === 'network' || ns.type === 'uts' ? { ...ns, path: `/proc/${pid}/ns/${ns.type === 'network' ? 'net' : 'uts'}` } : ns))), 'readlink /proc/self/ns/net; readlink /proc/self/ns/uts');
      expect(out).toBe(`${nsOf(pid, 'net')}\n${nsOf(pid, 'uts')}\n`);
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
    expect(await eventually(() => !bed.keel.containers().includes(id))).toBe(true);
  });

  it('the runtime MUST generate an error if path is not associated with a namespace of that type', () => {
    const r = run((s) => (s.linux!.namespaces = s.linux!.namespaces!.map((ns) => (ns.type === 'network' ? { type: 'network', path: '/proc/self/ns/uts' } : ns))), 'echo ran');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/network/);
  });

  it('duplicated namespaces with the same type MUST generate an error', () => {
    const r = run((s) => s.linux!.namespaces!.push({ type: 'pid' }), 'echo ran');
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/duplicate namespace type "pid"/);
  });
});

describe('config-linux.md: user namespace mappings', () => {
  it('uidMappings and gidMappings: the container sees the given mappings', () => {
    const out = output(
      (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      },
      'cat /proc/self/uid_map /proc/self/gid_map | tr -s " "; id -u',
      // The bundle directory is made 0700; the namespace's root (another host uid) must reach its rootfs.
      (b) => chmodSync(b.dir, 0o755),
    );
    expect(out).toBe(' 0 200000 65536\n 0 300000 65536\n0\n');
  });
});

describe('config-linux.md: devices', () => {
  it('devices listed MUST be available in the container, with their type, numbers, mode and owner', () => {
    const out = output(
      (s) => {
        s.linux!.devices = [{ path: '/dev/spec-null', type: 'c', major: 1, minor: 3, fileMode: 0o604, uid: 7, gid: 8 }];
      },
      // Root is "other" here, and the default capabilities do not override file modes: read only.
      'stat -c "%F %t:%T %a %u:%g" /dev/spec-null; cat /dev/spec-null && echo read; (echo x > /dev/spec-null) 2>/dev/null || echo not-writable',
    );
    expect(out).toBe('character special file 1:3 604 7:8\nread\nnot-writable\n');
  });

  it('if a file already exists at path that does not match the requested device, the runtime MUST generate an error', () => {
    const r = run(
      (s) => (s.linux!.devices = [{ path: '/data/devnode', type: 'c', major: 1, minor: 3 }]),
      'echo ran',
      (b) => {
        mkdirSync(join(b.rootfs, 'data'));
        writeFileSync(join(b.rootfs, 'data/devnode'), 'a regular file');
      },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/create device "\/data\/devnode" .*: file exists/);
    expect(readFileSync(join(r.bundle.rootfs, 'data/devnode'), 'utf8')).toBe('a regular file'); // the image's file is left alone
  });

  it('a node already at path that matches the requested device is kept, with the mode and owner of the config', () => {
    const out = output(
      (s) => (s.linux!.devices = [{ path: '/data/null', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 3, gid: 4 }]),
      'stat -c "%F %t:%T %a %u:%g" /data/null',
      (b) => {
        mkdirSync(join(b.rootfs, 'data'));
        execFileSync('mknod', ['-m', '666', join(b.rootfs, 'data/null'), 'c', '1', '3']);
      },
    );
    expect(out).toBe('character special file 1:3 640 3:4\n');
  });

  it('the runtime MUST also supply /dev/null, zero, full, random, urandom, tty and /dev/ptmx (to /dev/pts/ptmx)', () => {
    const out = output(() => {}, 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T" /dev/$d; done; readlink /dev/ptmx || stat -c "%t:%T" /dev/ptmx; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok');
    expect(out).toBe(
      [
        '/dev/null character special file 1:3',
        '/dev/zero character special file 1:5',
        '/dev/full character special file 1:7',
        '/dev/random character special file 1:8',
        '/dev/urandom character special file 1:9',
        '/dev/tty character special file 5:0',
        'pts/ptmx',
        '4',
        'null-ok',
        '',
      ].join('\n'),
    );
  });
});

describe('config-linux.md: sysctl, masked and readonly paths', () => {
  it('sysctl: the kernel parameters are set for the container', () => {
    expect(output((s) => (s.linux!.sysctl = { 'net.ipv4.ip_forward': '1', 'kernel.msgmax': '12345' }), 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax')).toBe('1\n12345\n');
  });

  it('maskedPaths: the paths are masked so that they cannot be read', () => {
    // A /proc file engines mask that this kernel has (not every kernel has /proc/kcore).
    const procFile = ['/proc/kcore', '/proc/timer_list', '/proc/sched_debug', '/proc/interrupts'].find((f) => existsSync(f))!;
    expect(procFile === '/proc/kcore' || readFileSync(procFile).length > 0).toBe(true);
    const out = output(
      (s) => (s.linux!.maskedPaths = [procFile, '/etc/secret-dir', '/etc/secret-file']),
      `wc -c < ${procFile}; ls -A /etc/secret-dir | wc -l; cat /etc/secret-file | wc -c`,
      (b) => {
        mkdirSync(join(b.rootfs, 'etc/secret-dir'));
        writeFileSync(join(b.rootfs, 'etc/secret-dir/key'), 'secret');
        writeFileSync(join(b.rootfs, 'etc/secret-file'), 'secret');
      },
    );
    expect(out.split('\n').map((l) => l.trim())).toEqual(['0', '0', '0', '']);
  });

  it('readonlyPaths: the paths are read-only inside the container', () => {
    const out = output(
      (s) => (s.linux!.readonlyPaths = ['/proc/sys', '/etc/ro-dir']),
      '(echo 1 > /proc/sys/kernel/msgmax) 2>/dev/null; echo sys=$?; touch /etc/ro-dir/x 2>/dev/null; echo dir=$?; touch /etc/writable && echo rest-writable',
      (b) => mkdirSync(join(b.rootfs, 'etc/ro-dir')),
    );
    expect(out).toBe('sys=1\ndir=1\nrest-writable\n');
  });
});

describe('config-linux.md: cgroupsPath', () => {
  it('an absolute cgroupsPath MUST be taken relative to the cgroups mount point, and the same value MUST attach to the same place', () => {
    const path = `/keel-spec-cgpath-${process.pid}`;
    const seen: string[] = [];
    for (let i = 0; i < 2; i++) {
      const b = bed.bundle((s) => {
        s.process!.args = ['sleep', '1000'];
        s.linux!.cgroupsPath = path;
      });
      const id = newId();
      bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
      const pid = (JSON.parse(bed.keel.ok(['state', id])) as { pid: number }).pid;
      const lines = readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().split('\n');
      // Every hierarchy the container is in (the host's v1 controllers and the unified one) places it at the path.
      expect(lines.filter((l) => !/:name=/.test(l)).every((l) => l.endsWith(`:${path}`)), lines.join(' ')).toBe(true);
      expect(existsSync(`/sys/fs/cgroup/pids${path}/cgroup.procs`) || existsSync(`/sys/fs/cgroup${path}/cgroup.procs`)).toBe(true);
      seen.push(lines.join('\n'));
      bed.keel.ok(['delete', '--force', id]);
    }
    expect(seen[1]).toBe(seen[0]);
  });
});
