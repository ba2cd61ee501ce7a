/**
 * make test-checkpoint: keel checkpoint and restore with the real CRIU, in the cgroup v2 guest
 * (test/cgroup2/run.sh), where Debian's kernel passes `criu check`. Each container counts into a
 * file of its rootfs, which the host reads: a restored one must go on from where it was saved.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../helpers/host.js';
import { CLEAN_ENV, KEEL } from '../helpers/keel.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Bundle } from '../helpers/bundle.js';
import type { Spec } from '../../src/spec/types.js';

const bed = useTestbed();
const images = mkdtempSync(join(tmpdir(), 'keel-ckpt-'));
afterAll(() => rmSync(images, { recursive: true, force: true }));

beforeAll(() => {
  const check = execFileSync('criu', ['check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(check).toContain('Looks good');
});

/** Counts up every 0.2 s into /count; its stdio is the container's own /dev/null, as a detached daemon's. */
const COUNTER = 'exec </dev/null >/dev/null 2>&1; i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.2; done';

function counterBundle(): Bundle {
  return bed.bundle((s) => {
    s.process!.args = ['sh', '-c', COUNTER];
    s.linux!.resources = { pids: { limit: 40 } };
  });
}

const count = (b: Bundle) => {
  const file = join(b.rootfs, 'count');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim() || 0) : 0;
};
const state = (id: string) => JSON.parse(bed.keel.ok(['state', id])) as { status: string; pid: number };
const cgroupOf = (pid: number) => readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim().replace(/^0::/, '');

/** The pids whose command line is `cmdline` (words joined by spaces). */
function processesRunning(cmdline: string): number[] {
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') === cmdline;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function countsPast(b: Bundle, value: number): Promise<boolean> {
  return eventually(() => count(b) > value, 20_000);
}

async function startCounter(id: string): Promise<Bundle> {
  const b = counterBundle();
  bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
  expect(await countsPast(b, 3)).toBe(true);
  return b;
}

describe('keel checkpoint and restore with CRIU', () => {
  it('a counter checkpointed (and so stopped) restores into a new id and counts on from where it was; restored, it checkpoints again', async () => {
    const b = await startCounter('ck-a');
    const dir = join(images, 'a');
    bed.keel.ok(['checkpoint', '--image-path', dir, 'ck-a']);
    // runc's rule: without --leave-running the container is gone after the dump.
    expect(bed.keel.run(['state', 'ck-a']).stderr).toContain('does not exist');
    const saved = count(b);
    await new Promise((r) => setTimeout(r, 1000));
    expect(count(b)).toBe(saved);

    bed.keel.ok(['restore', '-d', '--bundle', b.dir, '--image-path', dir, 'ck-a2']);
    const restored = state('ck-a2');
    expect(restored.status).toBe('running');
    expect(existsSync(`/proc/${restored.pid}`)).toBe(true);
    // The new id's cgroup, with the bundle's limit in it.
    const cg = cgroupOf(restored.pid);
    expect(cg).toMatch(/ck-a2/);
    expect(readFileSync(join('/sys/fs/cgroup', cg, 'pids.max'), 'utf8').trim()).toBe('40');
    expect(await countsPast(b, saved + 3)).toBe(true);
    // From where it was: a fresh start would count from 1 again.
    expect(count(b)).toBeGreaterThan(saved);

    const again = join(images, 'a2');
    bed.keel.ok(['checkpoint', '--image-path', again, 'ck-a2']);
    const saved2 = count(b);
    bed.keel.ok(['restore', '-d', '--bundle', b.dir, '--image-path', again, 'ck-a3']);
    expect(await countsPast(b, saved2 + 3)).toBe(true);
    bed.keel.ok(['delete', '--force', 'ck-a3']);
    expect(bed.keel.containers()).toEqual([]);
  });

  it('--leave-running saves the container and leaves it running, the same init, counting', async () => {
    const b = await startCounter('ck-b');
    const before = state('ck-b');
    const dir = join(images, 'b');
    bed.keel.ok(['checkpoint', '--leave-running', '--image-path', dir, 'ck-b']);
    expect(existsSync(join(dir, 'inventory.img'))).toBe(true);
    expect(state('ck-b')).toMatchObject({ status: 'running', pid: before.pid });
    const now = count(b);
    expect(await countsPast(b, now + 3)).toBe(true);
    bed.keel.ok(['delete', '--force', 'ck-b']);
  });

  it('pre-dump then dump on it: the container runs on after the pre-dump, and the dump restores', async () => {
    const b = await startCounter('ck-c');
    const pid = state('ck-c').pid;
    bed.keel.ok(['checkpoint', '--pre-dump', '--image-path', join(images, 'c', 'pre'), 'ck-c']);
    expect(state('ck-c')).toMatchObject({ status: 'running', pid });
    bed.keel.ok(['checkpoint', '--parent-path', '../pre', '--image-path', join(images, 'c', 'dump'), 'ck-c']);
    // CRIU links the dump to its parent: only the pages changed since the pre-dump are in it.
    expect(readlinkSync(join(images, 'c', 'dump', 'parent'))).toBe('../pre');
    const saved = count(b);
    bed.keel.ok(['restore', '-d', '--bundle', b.dir, '--image-path', join(images, 'c', 'dump'), 'ck-c2']);
    expect(await countsPast(b, saved + 3)).toBe(true);
    bed.keel.ok(['delete', '--force', 'ck-c2']);
  });

  it("restores into another bundle, whose fresh rootfs and volume lack the binds' mount points (podman's restore --import)", async () => {
    const host = mkdtempSync(join(tmpdir(), 'keel-ckpt-src-'));
    try {
      writeFileSync(join(host, 'note'), 'note\n');
      const withBinds = (volume: string) => (s: Spec) => {
        s.process!.args = ['sh', '-c', COUNTER];
        s.mounts!.push(
          { destination: '/etc/keel-note', type: 'bind', source: join(host, 'note'), options: ['bind'] },
          { destination: '/data', type: 'bind', source: volume, options: ['rbind'] },
          { destination: '/data/inner/note', type: 'bind', source: join(host, 'note'), options: ['bind'] },
        );
      };
      mkdirSync(join(host, 'vol1'));
      const first = bed.bundle(withBinds(join(host, 'vol1')));
      bed.keel.ok(['run', '-d', '--bundle', first.dir, 'ck-e']);
      expect(await countsPast(first, 3)).toBe(true);
      const dir = join(images, 'e');
      bed.keel.ok(['checkpoint', '--image-path', dir, 'ck-e']);
      const saved = count(first);

      mkdirSync(join(host, 'vol2'));
      const second = bed.bundle(withBinds(join(host, 'vol2')));
      expect(existsSync(join(second.rootfs, 'etc/keel-note'))).toBe(false);
      bed.keel.ok(['restore', '-d', '--bundle', second.dir, '--image-path', dir, 'ck-e2']);
      // It counts on in the new rootfs, from where it was saved in the old one.
      expect(await eventually(() => count(second) > saved + 3, 20_000)).toBe(true);
      expect(statSync(join(second.rootfs, 'etc/keel-note')).isFile()).toBe(true);
      expect(statSync(join(host, 'vol2/inner/note')).isFile()).toBe(true);
      bed.keel.ok(['delete', '--force', 'ck-e2']);
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it('a failed checkpoint leaves the container running as it was', async () => {
    const b = await startCounter('ck-d');
    const pid = state('ck-d').pid;
    // --page-server to a port nobody listens on: CRIU fails after it has frozen the container.
    const r = bed.keel.run(['checkpoint', '--page-server', '127.0.0.1:1', '--image-path', join(images, 'd'), 'ck-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^keel: cannot checkpoint container "ck-d": CRIU failed: .*\(its log: .*dump\.log\)\n$/);
    expect(state('ck-d')).toMatchObject({ status: 'running', pid });
    const now = count(b);
    expect(await countsPast(b, now + 3)).toBe(true);
    bed.keel.ok(['delete', '--force', 'ck-d']);
  });

  describe('the foreground and terminals', () => {
    /** Ticks every 0.2 s ("tick N /dev/pts/M" on a terminal) until /stop appears, then exits 7. */
    const TICKER = 'i=0; while [ ! -e /stop ]; do i=$((i+1)); echo "tick $i $(tty)"; sleep 0.2; done; exit 7';
    const ticks = (text: string) => [...text.matchAll(/tick (\d+) (\S+)/g)].map((m) => ({ n: Number(m[1]), tty: m[2]! }));
    const HOLDER = join(new URL('..', import.meta.url).pathname, 'helpers/console-holder.py');

    /** `keel restore` in the foreground, its stdout collected; resolves with its exit code. */
    function restoreInForeground(args: string[]) {
      const child = spawn(KEEL, ['--root', bed.keel.root, 'restore', ...args], { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      return { out: () => out, err: () => err, code };
    }

    it('restored in the foreground, keel waits for the program, leaves with its exit code and deletes the container, as runc', async () => {
      const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', 'exec </dev/null >/dev/null 2>&1; i=0; while [ ! -e /stop ]; do i=$((i+1)); echo $i > /count; sleep 0.2; done; exit 7']));
      bed.keel.ok(['run', '-d', '--bundle', b.dir, 'ck-fg']);
      expect(await countsPast(b, 3)).toBe(true);
      const dir = join(images, 'fg');
      bed.keel.ok(['checkpoint', '--image-path', dir, 'ck-fg']);
      const saved = count(b);
      const fg = restoreInForeground(['--bundle', b.dir, '--image-path', dir, 'ck-fg2']);
      expect(await countsPast(b, saved + 3), fg.err()).toBe(true);
      expect(state('ck-fg2').status).toBe('running');
      writeFileSync(join(b.rootfs, 'stop'), '');
      // keel restore handed back the wait status itself (7 << 8, which the shell saw as 0).
      expect(await fg.code, fg.err()).toBe(7);
      expect(bed.keel.containers()).toEqual([]);
    });

    it('a checkpoint without a terminal, restored under a config with one: refused in one line, nothing left running', async () => {
      // (runc 1.1.5 restores it and closes the console socket without a master.) The program
      // writes no file: CRIU checks the files it had open against the rootfs at restore.
      const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', 'exec </dev/null >/dev/null 2>&1; sleep 100007']));
      bed.keel.ok(['run', '-d', '--bundle', b.dir, 'ck-mm']);
      const dir = join(images, 'mm');
      bed.keel.ok(['checkpoint', '--image-path', dir, 'ck-mm']);
      b.spec.process!.terminal = true;
      b.save();
      const sock = join(b.dir, 'console.sock');
      const listener = createServer((c) => c.destroy()).listen(sock);
      try {
        const r = bed.keel.run(['restore', '-d', '--console-socket', sock, '--bundle', b.dir, '--image-path', dir, 'ck-mm2']);
        expect(r.code).toBe(1);
        expect(r.stderr).toBe('keel: cannot restore container "ck-mm2": process.terminal is true, and the checkpoint has no terminal (CRIU sent no pty master): restore it with the bundle it was created with, or set "terminal": false\n');
        expect(bed.keel.containers()).toEqual([]);
        expect(processesRunning('sleep 100007')).toEqual([]);
      } finally {
        listener.close();
      }
    });

    it('a terminal: restored with a new pty whose master goes to --console-socket, or is relayed by keel in the foreground; refused detached without a socket', async () => {
      const work = mkdtempSync(join(tmpdir(), 'keel-ckpt-tty-'));
      const sock = join(work, 'console.sock');
      const shownFile = join(work, 'shown');
      const holder = spawn('python3', [HOLDER, sock, shownFile], { stdio: ['ignore', 'pipe', 'inherit'] });
      let listening = '';
      holder.stdout.on('data', (d: Buffer) => (listening += d.toString()));
      const shown = () => (existsSync(shownFile) ? readFileSync(shownFile, 'utf8') : '');
      /** What the terminal showed since the holder received its n-th master. */
      const sinceMaster = (n: number) => shown().split('[master ').slice(n).join('[master ');
      try {
        // Python's start alone takes seconds under TCG, more when other guests share the host.
        expect(await eventually(() => listening.includes('listening'), 60_000)).toBe(true);
        const b = bed.bundle((s) => {
          s.process!.terminal = true;
          s.process!.args = ['sh', '-c', TICKER];
        });
        bed.keel.ok(['run', '-d', '--console-socket', sock, '--bundle', b.dir, 'ck-tty']);
        expect(await eventually(() => ticks(shown()).length > 3, 60_000)).toBe(true);
        const dir = join(images, 'tty');
        bed.keel.ok(['checkpoint', '--image-path', dir, 'ck-tty']);
        // The processes are gone with the dump, and with them the old pty's other side.
        expect(await eventually(() => shown().includes('[hangup]'), 30_000)).toBe(true);
        const before = ticks(shown()).at(-1)!;

        const refused = bed.keel.run(['restore', '-d', '--bundle', b.dir, '--image-path', dir, 'ck-tty2']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/^keel: cannot restore container "ck-tty2": process.terminal is true but no --console-socket was given/);
        expect(bed.keel.containers()).toEqual([]);

        bed.keel.ok(['restore', '-d', '--console-socket', sock, '--bundle', b.dir, '--image-path', dir, 'ck-tty2']);
        expect(await eventually(() => ticks(sinceMaster(2)).length > 3, 30_000)).toBe(true);
        const after = ticks(sinceMaster(2));
        // The same shell goes on, on its terminal (the same name in the container).
        expect(after[0]!.n).toBeGreaterThan(before.n);
        expect(after.map((t) => t.n)).toEqual(after.map((_, i) => after[0]!.n + i));
        expect(new Set(after.map((t) => t.tty))).toEqual(new Set([before.tty]));

        // Checkpointed again, and restored in the foreground: keel holds the master and relays it.
        bed.keel.ok(['checkpoint', '--image-path', join(images, 'tty2'), 'ck-tty2']);
        const saved = ticks(sinceMaster(2)).at(-1)!.n;
        const fg = restoreInForeground(['--bundle', b.dir, '--image-path', join(images, 'tty2'), 'ck-tty3']);
        expect(await eventually(() => ticks(fg.out()).length > 3, 60_000), fg.err()).toBe(true);
        writeFileSync(join(b.rootfs, 'stop'), '');
        expect(await fg.code, fg.err()).toBe(7);
        const relayed = ticks(fg.out());
        expect(relayed[0]!.n).toBeGreaterThan(saved);
        expect(relayed[0]!.tty).toBe(before.tty);
        expect(bed.keel.containers()).toEqual([]);
      } finally {
        holder.kill();
        rmSync(work, { recursive: true, force: true });
      }
    });
  });

  describe('an established TCP connection, in a network namespace of its own, on loopback', () => {
    const netns = 'keel-ckpt-tcp';
    beforeAll(() => {
      execFileSync('ip', ['netns', 'add', netns]);
      execFileSync('ip', ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']);
    });
    afterAll(() => {
      execFileSync('ip', ['netns', 'delete', netns]);
    });

    it('is refused without --tcp-established (the container runs on) and carried over with it', async () => {
      const b = bed.bundle((s) => {
        // A server and a client in the container, joined by one connection; the server writes what it receives.
        s.process!.args = ['sh', '-c', `exec </dev/null >/dev/null 2>&1; sleep 100000 | nc -l -p 7000 > /received & sleep 1; i=0; while true; do i=$((i+1)); echo $i; echo $i > /count; sleep 0.2; done | nc 127.0.0.1 7000`];
        s.linux!.namespaces = s.linux!.namespaces!.map((ns) => (ns.type === 'network' ? { type: 'network', path: `/var/run/netns/${netns}` } : ns));
      });
      bed.keel.ok(['run', '-d', '--bundle', b.dir, 'ck-tcp']);
      const received = () => readFileSync(join(b.rootfs, 'received'), 'utf8').trim().split('\n').filter(Boolean).map(Number);
      expect(await eventually(() => existsSync(join(b.rootfs, 'received')) && received().length > 3, 20_000)).toBe(true);
      const pid = state('ck-tcp').pid;

      const refused = bed.keel.run(['checkpoint', '--image-path', join(images, 'tcp-no'), 'ck-tcp']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('tcp-established');
      expect(state('ck-tcp')).toMatchObject({ status: 'running', pid });

      bed.keel.ok(['checkpoint', '--tcp-established', '--image-path', join(images, 'tcp'), 'ck-tcp']);
      const saved = received().length;
      bed.keel.ok(['restore', '-d', '--tcp-established', '--bundle', b.dir, '--image-path', join(images, 'tcp'), 'ck-tcp2']);
      expect(state('ck-tcp2').status).toBe('running');
      // The same connection goes on: the server gets the next numbers, in order, with none lost. The
      // first segment may wait for TCP's retransmission timer, backed off while CRIU held the
      // connection locked (tens of seconds under TCG).
      const goesOn = await eventually(() => received().length > saved + 3, 120_000);
      if (!goesOn) {
        const sh = (cmd: string) => { try { return execFileSync('sh', ['-c', cmd], { encoding: 'utf8' }); } catch (e) { return String(e); } };
        console.log(`saved ${saved}, now ${received().length}\n${sh(`ip netns exec ${netns} ss -tnpi`)}\n${sh(`ip netns exec ${netns} iptables-save`)}\n${sh(`ip netns exec ${netns} nft list ruleset`)}\n${sh(`tail -15 ${join(images, 'tcp', 'restore.log')}`)}\n${sh('ps -ef | grep -v grep | grep -E "nc|sleep"')}`);
      }
      expect(goesOn).toBe(true);
      const all = received();
      expect(all).toEqual(all.map((_, i) => i + 1));
      bed.keel.ok(['delete', '--force', 'ck-tcp2']);
    });
  });
});
