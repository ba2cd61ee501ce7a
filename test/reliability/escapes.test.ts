/**
 * Escapes from a running container, tried by the container's own processes with the default
 * capabilities: writing keel-init's binary through /proc/<pid>/exe, remounting the read-only
 * /proc/sys and /sys read-write, unmasking masked paths. Each attempt is also made with
 * CAP_SYS_ADMIN granted, to show that the test sees an escape when there is one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { KEEL, KeelRoot, requireRootAndBuild } from '../helpers/keel.js';

let keel: KeelRoot;
const bundles: Bundle[] = [];
const ID_TAG = `rel${process.pid}e-`;

beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
});
afterAll(() => {
  keel?.cleanup();
  bundles.forEach((b) => b.remove());
});

/** Runs `script` in a container (busybox sh) and returns its "name=value" report lines. */
function report(id: string, script: string, edit: Parameters<typeof makeBundle>[0] = () => {}): Record<string, string> {
  const bundle = makeBundle((s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  bundles.push(bundle);
  const r = keel.run(['run', '--bundle', bundle.dir, `${ID_TAG}${id}`]);
  if (r.code !== 0) throw new Error(`the container failed (exit ${r.code}): ${r.stderr}`);
  return Object.fromEntries(r.stdout.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** `try NAME command...`: prints NAME=ok when the command succeeds, NAME=fail otherwise. */
const TRY = `try() { n=$1; shift; if "$@" >/dev/null 2>&1; then echo "$n=ok"; else echo "$n=fail"; fi; }\n`;

const REMOUNTS = `${TRY}
try remount_proc_sys mount -o remount,rw /proc/sys
try remount_sys mount -o remount,rw /sys
try umount_proc_sys umount /proc/sys
try new_proc mount -t proc proc /tmp
try write_proc_sys sh -c 'echo escaped > /proc/sys/kernel/domainname'
echo "sys_opts=$(awk '$5=="/sys"{print $6}' /proc/self/mountinfo | tail -1)"
echo "proc_sys_opts=$(awk '$5=="/proc/sys"{print $6}' /proc/self/mountinfo | tail -1)"
`;

const UNMASKS = `${TRY}
try umount_keys umount /proc/keys
try umount_firmware umount /sys/firmware
try remount_firmware mount -o remount,rw /sys/firmware
echo "keys_bytes=$(cat /proc/keys | wc -c)"
echo "timer_list_bytes=$(cat /proc/timer_list | wc -c)"
echo "firmware_entries=$(ls -A /sys/firmware | wc -l)"
`;

const withSysAdmin: Parameters<typeof makeBundle>[0] = (s) => {
  for (const set of ['bounding', 'effective', 'permitted'] as const) s.process!.capabilities![set] = [...(s.process!.capabilities![set] ?? []), 'CAP_SYS_ADMIN'];
};

describe('read-only /proc/sys and /sys', () => {
  it('cannot be remounted, unmounted or written with the default capabilities', () => {
    const r = report('ro', REMOUNTS);
    expect(r).toMatchObject({ remount_proc_sys: 'fail', remount_sys: 'fail', umount_proc_sys: 'fail', new_proc: 'fail', write_proc_sys: 'fail' });
    expect(r.sys_opts).toMatch(/^ro,/);
    expect(r.proc_sys_opts).toMatch(/^ro,/);
  });

  it('control: with CAP_SYS_ADMIN the same script does remount them (the test can see an escape)', () => {
    const r = report('ro-admin', REMOUNTS, withSysAdmin);
    expect(r).toMatchObject({ remount_proc_sys: 'ok', remount_sys: 'ok', umount_proc_sys: 'ok', write_proc_sys: 'ok' });
  });
});

describe('masked paths', () => {
  it('stay masked: cannot be unmounted or remounted, and read empty', () => {
    expect(readdirCount('/sys/firmware')).toBeGreaterThan(0);
    const r = report('mask', UNMASKS);
    expect(r).toMatchObject({ umount_keys: 'fail', umount_firmware: 'fail', remount_firmware: 'fail', keys_bytes: '0', timer_list_bytes: '0', firmware_entries: '0' });
  });

  it('control: with CAP_SYS_ADMIN the mask over /sys/firmware can be lifted', () => {
    const r = report('mask-admin', UNMASKS, withSysAdmin);
    expect(r.umount_firmware).toBe('ok');
    expect(Number(r.firmware_entries)).toBeGreaterThan(0);
  });
});

function readdirCount(path: string): number {
  return execFileSync('ls', ['-A', path], { encoding: 'utf8' }).split('\n').filter(Boolean).length;
}

/** A created, not started, container: its init is still keel-init, waiting for `start`. */
function waitingContainer(name: string): { id: string; pid: number } {
  const bundle = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
  bundles.push(bundle);
  const id = `${ID_TAG}${name}`;
  keel.ok(['create', '--bundle', bundle.dir, id]);
  return { id, pid: (JSON.parse(keel.ok(['state', id])) as { pid: number }).pid };
}

describe('keel-init through /proc/<pid>/exe', () => {
  it('runs from a sealed memfd, which refuses writes even from the host', () => {
    const { id, pid } = waitingContainer('memfd');
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/^\/memfd:keel-init/);
    // Seals: F_SEAL_SEAL 1 | SHRINK 2 | GROW 4 | WRITE 8. Then a write through a new read-write open.
    const probe = `
import errno, fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print("seals=%d" % fcntl.fcntl(fd, 1034))
for flags, name in ((os.O_WRONLY, "open_wronly"), (os.O_RDWR, "open_rdwr")):
    try:
        w = os.open("/proc/self/fd/%d" % fd, flags)
    except OSError as e:
        print("%s=%s" % (name, errno.errorcode[e.errno])); continue
    try:
        os.pwrite(w, b"x", 0); print("%s=wrote" % name)
    except OSError as e:
        print("%s=write-%s" % (name, errno.errorcode[e.errno]))
`;
    const out = execFileSync('python3', ['-c', probe, `/proc/${pid}/exe`], { encoding: 'utf8' });
    expect(out).toMatch(/^seals=15$/m);
    expect(out).not.toMatch(/=wrote/);
    keel.ok(['delete', '--force', id]);
  });

  it('cannot be opened for writing by a process of another container that sees it', () => {
    const { id, pid } = waitingContainer('victim');
    // The attacker shares the host's PID namespace, so /proc/<pid> of the waiting keel-init is there.
    // `exec 3<>` opens read-write without truncating: even a successful open would change nothing.
    const r = report('attacker', `${TRY}
try open_exe sh -c 'exec 3<>/proc/${pid}/exe'
try append_exe sh -c 'echo x >> /proc/${pid}/exe'
echo "sees_it=$(cat /proc/${pid}/cmdline | tr '\\0' ' ')"
`, (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((ns) => ns.type !== 'pid');
    });
    expect(r).toMatchObject({ open_exe: 'fail', append_exe: 'fail' });
    expect(r.sees_it).toMatch(/^keel-init/);
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toMatch(/^keel-init/);
    keel.ok(['delete', '--force', id]);
  });
});

/**
 * CVE-2019-5736's shape: a container process watches for the runtime's process joining it during
 * `exec` and tries to reach the runtime's binary through /proc/<pid>/exe. The joining process is
 * keel-init from a sealed memfd, non-dumpable until it runs the container's program, so the
 * watcher must never see a host path there, never open one for writing, and the host's keel and
 * node files must stay as they were.
 */
describe('keel exec through /proc/<pid>/exe', () => {
  const WATCHER = `
seen=/tmp/seen; : > $seen
while [ ! -e /tmp/stop ]; do
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$$" ] && continue
    [ -e /tmp/known.$p ] && continue
    exe=$(readlink $d/exe 2>/dev/null) || exe=unreadable
    # A joining process stays unreadable until it runs its program: note that once, and look again.
    if [ $exe = unreadable ]; then [ -e /tmp/joining.$p ] && continue; : > /tmp/joining.$p
    else : > /tmp/known.$p; fi
    if sh -c "exec 3<>$d/exe" 2>/dev/null; then w=opened; else w=refused; fi
    echo "$p $exe $w" >> $seen
  done
done
`;

  it('a watcher in the container never reaches keel, node or keel-init while processes join', async () => {
    const bundle = makeBundle((s) => (s.process!.args = ['sh', '-c', WATCHER]));
    bundles.push(bundle);
    const id = `${ID_TAG}exec-watch`;
    const fingerprint = () => [KEEL, process.execPath].map((f) => `${f} ${statSync(f).mtimeMs} ${createHash('sha256').update(readFileSync(f)).digest('hex')}`);
    const before = fingerprint();
    keel.ok(['run', '--detach', '--bundle', bundle.dir, id]);
    const seenFile = join(bundle.rootfs, 'tmp/seen');
    expect(await eventually(() => existsSync(seenFile))).toBe(true);
    const EXECS = 15;
    for (let i = 0; i < EXECS; i++) {
      expect(keel.run(['exec', id, 'sleep', '0.2'])).toMatchObject({ code: 0, stderr: '' });
      await new Promise((r) => setImmediate(r));
    }
    writeFileSync(join(bundle.rootfs, 'tmp/stop'), '');
    keel.ok(['delete', '--force', id]);

    const seen = readFileSync(seenFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' '));
    const kinds = new Map<string, number>();
    for (const [, exe, w] of seen) kinds.set(`${exe} ${w}`, (kinds.get(`${exe} ${w}`) ?? 0) + 1);
    console.log(`exec watch: ${EXECS} execs; processes seen: ${[...kinds].map(([k, v]) => `${k} x${v}`).join(', ')}`);
    // The control: the watcher did see the exec'd processes (each runs busybox's sleep for 0.2 s);
    // "unreadable" lines are processes caught while still joining (non-dumpable keel-init), which
    // the watcher looks at again until they run busybox.
    expect(seen.filter(([, exe]) => exe === '/bin/busybox').length).toBeGreaterThanOrEqual(EXECS - 2);
    const hostPaths = seen.filter(([, exe]) => exe !== '/bin/busybox' && exe !== 'unreadable' && !exe!.startsWith('/memfd:keel-init'));
    expect(hostPaths).toEqual([]);
    expect(seen.filter(([, , w]) => w === 'opened')).toEqual([]);
    expect(fingerprint()).toEqual(before);
  }, 120_000);
});
