/**
 * What keel may leave on the host, taken before and after an ordeal and compared. The machine is
 * shared with other work, so each view is narrowed to what carries one of the test's tags (its
 * bundle directories, its --root, its container ids): a leak of keel's is tagged, someone else's
 * container is not.
 */
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HostSnapshot {
  /** Lines of the host's mountinfo that name a tag. */
  mounts: string[];
  /** Directories under /sys/fs/cgroup/<hierarchy>/ (v1 controllers and unified) that name a tag. */
  cgroups: string[];
  /** Live processes (not zombies) whose command line, environment, cwd, root or mounts name a tag. */
  processes: string[];
  /** Every entry under the keel --root, recursively (the test helpers' own ".out"/".err" files aside). */
  stateEntries: string[];
}

const CGROUP_ROOT = '/sys/fs/cgroup';

export function snapshotHost(tags: string[], keelRoot: string): HostSnapshot {
  const tagged = (text: string) => tags.some((tag) => text.includes(tag));
  return {
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(tagged).sort(),
    cgroups: cgroupDirs().filter(tagged).sort(),
    processes: liveProcesses().filter((p) => tagged(p.evidence)).map((p) => `${p.pid} ${p.cmdline}`).sort(),
    stateEntries: existsSync(keelRoot) ? walk(keelRoot).filter((e) => !/(^|\/)\.(out|err)-\d+$/.test(e)).sort() : [],
  };
}

/** Each difference in words ("left behind: ...", "gone: ..."); empty when the host is as before. */
export function diffSnapshots(before: HostSnapshot, after: HostSnapshot): string[] {
  const out: string[] = [];
  for (const key of Object.keys(before) as (keyof HostSnapshot)[]) {
    const was = new Set(before[key]);
    const now = new Set(after[key]);
    for (const item of now) if (!was.has(item)) out.push(`${key}: left behind: ${item}`);
    for (const item of was) if (!now.has(item)) out.push(`${key}: gone: ${item}`);
  }
  return out;
}

export function cgroupDirs(): string[] {
  const found: string[] = [];
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(CGROUP_ROOT);
  } catch {
    return found;
  }
  for (const h of hierarchies) {
    const top = join(CGROUP_ROOT, h);
    if (!isDir(top)) continue;
    found.push(...walk(top, true).map((rel) => join(top, rel)));
  }
  return found;
}

interface ProcessInfo {
  pid: number;
  cmdline: string;
  /** Everything that may name a tag: cmdline, environ, cwd, root and the process's mount table. */
  evidence: string;
}

export function liveProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const dir = `/proc/${entry}`;
    try {
      const stat = readFileSync(`${dir}/stat`, 'utf8');
      const state = stat[stat.lastIndexOf(')') + 2];
      if (state === 'Z' || state === 'X') continue;
      const cmdline = readFileSync(`${dir}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const parts = [cmdline, quiet(() => readFileSync(`${dir}/environ`, 'utf8')), quiet(() => readlinkSync(`${dir}/cwd`)), quiet(() => readlinkSync(`${dir}/root`)), quiet(() => readFileSync(`${dir}/mountinfo`, 'utf8'))];
      out.push({ pid: Number(entry), cmdline, evidence: parts.join('\n') });
    } catch {
      // It exited while we looked.
    }
  }
  return out;
}

function quiet(read: () => string): string {
  try {
    return read();
  } catch {
    return '';
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Relative paths of everything under dir (directories only when dirsOnly). */
function walk(dir: string, dirsOnly = false, prefix = ''): string[] {
  const out: string[] = [];
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) {
      out.push(rel);
      out.push(...walk(dir, dirsOnly, rel));
    } else if (!dirsOnly) {
      out.push(rel);
    }
  }
  return out;
}
