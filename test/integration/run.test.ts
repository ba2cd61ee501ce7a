/** `keel run` end to end: what the process sees inside a real container on this kernel. */
import { describe, expect, it } from 'vitest';

import { makeBundle } from '../helpers/bundle.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;

let seq = 0;
function runIn(args: string[], edit: Parameters<typeof makeBundle>[0] = () => {}) {
  const bundle = makeBundle((spec) => {
    spec.process!.args = args;
    edit(spec);
  });
  bundles.push(bundle);
  return bed.keel.run(['run', '--bundle', bundle.dir, `run-${process.pid}-${seq++}`]);
}

describe('keel run', () => {
  it('runs the process as PID 1 of a new PID namespace, seeing only its own processes', () => {
    const r = runIn(['sh', '-c', 'echo pid=$$; exec ps -o pid,comm']);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '))).toEqual(['pid=1', 'PID COMMAND', '1 ps']);
    expect(r.code).toBe(0);
  });

  it('sets the hostname and domain name in a new UTS namespace', () => {
    const r = runIn(['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname'], (s) => {
      s.hostname = 'keel-test-host';
      s.domainname = 'example.test';
    });
    expect(r.stdout).toBe('keel-test-host\nexample.test\n');
  });

  it('mounts what the config lists, with their flags', () => {
    const r = runIn(['cat', '/proc/self/mountinfo']);
    expect(r.code).toBe(0);
    const mounts = new Map(
      r.stdout
        .trim()
        .split('\n')
        .map((line) => {
          const [left, right] = line.split(' - ');
          const fields = left!.split(' ');
          return [fields[4]!, { options: fields[5]!.split(','), fstype: right!.split(' ')[0]! }];
        }),
    );
    expect(mounts.get('/proc')?.fstype).toBe('proc');
    expect(mounts.get('/dev')?.fstype).toBe('tmpfs');
    expect(mounts.get('/dev/pts')).toMatchObject({ fstype: 'devpts' });
    expect(mounts.get('/dev/pts')!.options).toEqual(expect.arrayContaining(['nosuid', 'noexec']));
    expect(mounts.get('/dev/shm')!.options).toEqual(expect.arrayContaining(['nosuid', 'nodev', 'noexec']));
    expect(mounts.get('/sys')).toMatchObject({ fstype: 'sysfs' });
    expect(mounts.get('/sys')!.options).toContain('ro');
    expect(mounts.get('/sys/fs/cgroup')).toBeDefined();
    // Masked and read-only paths from the default spec.
    expect(mounts.get('/proc/keys')).toBeDefined();
    expect(mounts.get('/proc/acpi')).toMatchObject({ fstype: 'tmpfs' });
    expect(mounts.get('/proc/acpi')!.options).toContain('ro');
    expect(mounts.get('/proc/sys')!.options).toContain('ro');
    // Nothing of the host's mount table leaks in.
    expect([...mounts.keys()].filter((m) => m.startsWith('/work') || m.startsWith('/tmp/keel'))).toEqual([]);
  });

  it('creates the default devices and /dev symlinks', () => {
    const r = runIn(['sh', '-c', 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done; for l in ptmx fd stdin; do readlink /dev/$l; done']);
    expect(r.stdout).toBe(
      [
        '/dev/null character special file 1:3 666',
        '/dev/zero character special file 1:5 666',
        '/dev/full character special file 1:7 666',
        '/dev/random character special file 1:8 666',
        '/dev/urandom character special file 1:9 666',
        '/dev/tty character special file 5:0 666',
        'pts/ptmx',
        '/proc/self/fd',
        '/proc/self/fd/0',
        '',
      ].join('\n'),
    );
  });

  it('creates linux.devices with their type, numbers, mode and owner', () => {
    const r = runIn(['stat', '-c', '%F %t:%T %a %u:%g', '/dev/mydev'], (s) => {
      s.linux!.devices = [{ path: '/dev/mydev', type: 'c', major: 1, minor: 3, fileMode: 0o600, uid: 12, gid: 34 }];
    });
    expect(r.stdout).toBe('character special file 1:3 600 12:34\n');
  });

  it('refuses writes to a read-only root', () => {
    const r = runIn(['sh', '-c', 'touch /newfile'], (s) => {
      s.root!.readonly = true;
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Read-only file system');
  });

  it('passes env, cwd, uid, gid, additional groups and umask', () => {
    const r = runIn(['sh', '-c', 'echo "$FOO $HOME"; pwd; id -u; id -g; id -G; umask'], (s) => {
      s.process!.env = ['PATH=/bin', 'FOO=bar baz'];
      s.process!.cwd = '/tmp/work';
      s.process!.user = { uid: 1000, gid: 1001, additionalGids: [1002, 1003], umask: 0o027 };
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('bar baz /\n/tmp/work\n1000\n1001\n1001 1002 1003\n0027\n');
  });

  it('bind-mounts a host directory and a host file, read-only when asked', () => {
    const host = makeBundle();
    bundles.push(host);
    const r = runIn(['sh', '-c', 'ls /data/bin/busybox && cat /etc/hostname.from-host; touch /data/x'], (s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: host.rootfs, options: ['rbind', 'ro'] });
      s.mounts!.push({ destination: '/etc/hostname.from-host', type: 'bind', source: `${host.dir}/config.json`, options: ['bind'] });
    });
    expect(r.stdout).toContain('/data/bin/busybox');
    expect(r.stdout).toContain('"ociVersion"');
    expect(r.stderr).toContain('Read-only file system');
  });

  it.each([
    [['true'], 0],
    [['false'], 1],
    [['sh', '-c', 'exit 42'], 42],
  ])('exits with the status of %j (%i)', (args, code) => {
    expect(runIn(args).code).toBe(code);
  });

  it('runs a config whose plan is larger than a socket message may be by default (8000 variables, 340 KB)', () => {
    const vars = Array.from({ length: 8000 }, (_, i) => `VAR${String(i).padStart(5, '0')}=${'x'.repeat(30)}`);
    const r = runIn(['sh', '-c', 'env | grep -c ^VAR; echo "$VAR07999"'], (s) => {
      s.process!.env = ['PATH=/bin', ...vars];
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`8000\n${'x'.repeat(30)}\n`);
  });

  it('finds the program through PATH inside the container', () => {
    const r = runIn(['busybox', 'echo', 'found'], (s) => {
      s.process!.env = ['PATH=/nowhere:/bin'];
    });
    expect(r.stdout).toBe('found\n');
  });

  it('tmpcopyup fills a tmpfs with what the directory held, and a read-only root stays read-only', () => {
    const r = runIn(['sh', '-c', 'grep -c " /etc tmpfs" /proc/self/mounts; cat /etc/passwd | head -1; ls -l /etc/passwd | cut -c1-10; touch /etc/new && echo writable; touch /x 2>&1 | grep -c Read-only'], (s) => {
      s.root!.readonly = true;
      s.mounts!.push({ destination: '/etc', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'tmpcopyup'] });
    });
    expect(r.stdout).toBe('1\nroot:x:0:0:root:/root:/bin/sh\n-rw-r--r--\nwritable\n1\n');
  });
});
