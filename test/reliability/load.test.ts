/**
 * Load: sequential `keel run` cycles (KEEL_LOAD_CYCLES, default 100; the figure is 500)
 * with no growth in what a cycle could leak: processes, their open fds, mounts, cgroups, state
 * entries, zombies of keel's processes. The figures, with the host's totals of open files, mounts
 * and cgroups for context, are printed every tenth of the run.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeBundle, type Bundle } from '../helpers/bundle.js';
import { KeelRoot, requireRootAndBuild } from '../helpers/keel.js';
import { cgroupDirs, diffSnapshots, liveProcesses, snapshotHost } from './host-snapshot.js';
import { startKeel } from './keel-process.js';

const CYCLES = Number(process.env.KEEL_LOAD_CYCLES ?? 100);
const ID = `rel${process.pid}l-cycle`;

let keel: KeelRoot;
let bundle: Bundle;
beforeAll(() => {
  requireRootAndBuild();
  keel = new KeelRoot();
  bundle = makeBundle((s) => (s.process!.args = ['true']));
});
afterAll(() => {
  keel?.cleanup();
  bundle?.remove();
});

const tags = () => [keel.root, bundle.dir, basename(bundle.dir), ID];

interface Figures {
  cycle: number;
  /** Allocated file handles on the host (first field of /proc/sys/fs/file-nr): shared with everyone. */
  hostFiles: number;
  /** Open fds of this test process. */
  ownFds: number;
  /** Processes that name the test's tags, and their open fds. */
  keelProcesses: number;
  keelFds: number;
  /** Mounts and cgroup directories that name a tag; then all of them on the host (shared with everyone). */
  mounts: number;
  cgroups: number;
  hostMounts: number;
  hostCgroups: number;
  stateEntries: number;
  /** Zombies of keel-init or the container's program (this host's PID 1 never reaps orphans). */
  zombies: number;
}

function zombiesOfKeel(): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat[stat.lastIndexOf(')') + 2] === 'Z' && /\((keel-init|true)\)/.test(stat)) n++;
    } catch {
      // Reaped while we looked.
    }
  }
  return n;
}

function measure(cycle: number): Figures {
  const snap = snapshotHost(tags(), keel.root);
  const ours = liveProcesses().filter((p) => tags().some((t) => p.evidence.includes(t)));
  let keelFds = 0;
  for (const p of ours) {
    try {
      keelFds += readdirSync(`/proc/${p.pid}/fd`).length;
    } catch {
      // Exited.
    }
  }
  return {
    cycle,
    hostFiles: Number(readFileSync('/proc/sys/fs/file-nr', 'utf8').split(/\s+/)[0]),
    ownFds: readdirSync('/proc/self/fd').length,
    keelProcesses: ours.length,
    keelFds,
    mounts: snap.mounts.length,
    cgroups: snap.cgroups.length,
    hostMounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length,
    hostCgroups: cgroupDirs().length,
    stateEntries: snap.stateEntries.length,
    zombies: zombiesOfKeel(),
  };
}

describe('load', () => {
  it(`${CYCLES} sequential run/delete cycles leave no trace and grow nothing`, async () => {
    const before = snapshotHost(tags(), keel.root);
    const figures: Figures[] = [measure(0)];
    const started = Date.now();
    const failures: string[] = [];
    for (let i = 1; i <= CYCLES; i++) {
      // Asynchronous, so that the test runner stays responsive during a long run.
      const r = await startKeel(keel.root, ['run', '--bundle', bundle.dir, ID], { scratch: bundle.dir }).done;
      if (r.code !== 0 || r.stderr) failures.push(`cycle ${i}: exit ${r.code ?? r.signal}: ${r.stderr}`);
      if (i % Math.max(1, Math.floor(CYCLES / 10)) === 0) figures.push(measure(i));
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`load: ${CYCLES} cycles in ${seconds.toFixed(1)} s (${((seconds * 1000) / CYCLES).toFixed(0)} ms a cycle)`);
    const columns = Object.keys(figures[0]!) as (keyof Figures)[];
    console.log([columns.join('\t'), ...figures.map((f) => columns.map((c) => f[c]).join('\t'))].join('\n'));
    expect(failures).toEqual([]);
    expect(diffSnapshots(before, snapshotHost(tags(), keel.root))).toEqual([]);
    const first = figures[0]!;
    const last = figures.at(-1)!;
    expect({ keelProcesses: last.keelProcesses, keelFds: last.keelFds, zombies: last.zombies - first.zombies, ownFds: last.ownFds - first.ownFds }).toEqual({ keelProcesses: 0, keelFds: 0, zombies: 0, ownFds: 0 });
    // hostFiles, hostMounts and hostCgroups are printed, not judged: other work on the machine moves them.
  }, CYCLES * 2000 + 60_000);
});
