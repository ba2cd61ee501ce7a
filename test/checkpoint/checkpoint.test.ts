/**
 * make test-checkpoint: keel checkpoint and restore with the real CRIU, in the cgroup v2 guest
 * (test/cgroup2/run.sh), where Debian's kernel passes `criu check`. Each container counts into a
 * file of its rootfs, which the host reads: a restored one must go on from where it was saved.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../helpers/host.js';
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
