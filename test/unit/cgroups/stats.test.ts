import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { MAX_U64, collectStats, directoryReader, oomKillCount, parseBlkioV1, parseCpuList, parseIoStat, toGoJson } from '../../../src/cgroups/stats.js';
import { controllerDir } from '../../../src/cgroups/manager.js';
import { parseDuration } from '../../../src/container/events.js';

const root = mkdtempSync(join(tmpdir(), 'keel-fake-cgroupfs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fake cgroup directory: files in, and a reader over it as the events verb builds one. */
function tree(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

describe('v1 stats from a fake cgroupfs', () => {
  const dirs: Record<string, string> = {
    cpuacct: tree('v1/cpu,cpuacct/c', {
      'cpuacct.usage': '3000\n',
      'cpuacct.usage_percpu': '1000 2000 \n',
      'cpuacct.usage_all': 'cpu user system\n0 600 400\n1 1500 500\n',
      'cpuacct.stat': 'user 3\nsystem 2\n',
      'cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 123456\nnr_bursts 0\nburst_time 0\n',
    }),
    memory: tree('v1/memory/c', {
      'memory.limit_in_bytes': '67108864\n',
      'memory.usage_in_bytes': '1048576\n',
      'memory.max_usage_in_bytes': '2097152\n',
      'memory.failcnt': '7\n',
      'memory.memsw.limit_in_bytes': '9223372036854771712\n',
      'memory.memsw.usage_in_bytes': '1048576\n',
      'memory.memsw.max_usage_in_bytes': '2097152\n',
      'memory.memsw.failcnt': '0\n',
      'memory.stat': 'rss 4096\ncache 8192\ntotal_rss 4096\n',
      'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
    }),
    pids: tree('v1/pids/c', { 'pids.current': '3\n', 'pids.max': '20\n' }),
    blkio: tree('v1/blkio/c', {
      'blkio.bfq.io_service_bytes_recursive': 'Total 0\n',
      'blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n',
      'blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 0\nTotal 1\n',
    }),
    cpuset: tree('v1/cpuset/c', { 'cpuset.cpus': '0-2,5\n', 'cpuset.mems': '0\n', 'cpuset.sched_load_balance': '1\n', 'cpuset.sched_relax_domain_level': '-1\n' }),
    hugetlb: tree('v1/hugetlb/c', { 'hugetlb.2MB.usage_in_bytes': '2097152\n', 'hugetlb.2MB.max_usage_in_bytes': '4194304\n', 'hugetlb.2MB.failcnt': '1\n', 'hugetlb.2MB.limit_in_bytes': '0\n' }),
  };
  dirs.cpu = dirs.cpuacct!;
  const { read, list } = directoryReader((c) => dirs[c]);
  const stats = collectStats({ v2: false, read, listHugetlb: () => list('hugetlb') });

  it('reads cpu usage per CPU and in ticks (as nanoseconds) and the throttling counters', () => {
    expect(stats.cpu).toEqual({
      usage: { total: 3000n, percpu: [1000n, 2000n], percpu_kernel: [400n, 500n], percpu_user: [600n, 1500n], kernel: 20_000_000n, user: 30_000_000n },
      throttling: { periods: 10n, throttledPeriods: 4n, throttledTime: 123456n },
    });
  });

  it('reads memory usage, memory+swap, the raw memory.stat, and leaves zero counters out like runc', () => {
    expect(stats.memory.usage).toEqual({ limit: 67108864n, usage: 1048576n, max: 2097152n, failcnt: 7n });
    expect(stats.memory.swap.limit).toBe(9223372036854771712n);
    expect(stats.memory.cache).toBe(8192n);
    expect(Object.keys(stats.memory.raw!)).toEqual(['cache', 'rss', 'total_rss']);
    // No kmem files: runc's zero entry, with its always-present limit and failcnt.
    expect(toGoJson(stats.memory.kernel)).toBe('{"limit":0,"failcnt":0}');
  });

  it('reads pids, cpuset, hugetlb, and the first blkio group that has entries (throttle here, BFQ is empty)', () => {
    expect(stats.pids).toEqual({ current: 3n, limit: 20n });
    expect(stats.cpuset.cpus).toEqual([0, 1, 2, 5]);
    expect(stats.cpuset.sched_relax_domain_level).toBe(-1n);
    expect(stats.hugetlb).toEqual({ '2MB': { usage: 2097152n, max: 4194304n, failcnt: 1n } });
    expect(toGoJson(stats.blkio)).toBe(
      '{"ioServiceBytesRecursive":[{"major":8,"op":"Read","value":4096},{"major":8,"op":"Write"},{"major":8,"op":"Total","value":4096}],' +
        '"ioServicedRecursive":[{"major":8,"op":"Read","value":1},{"major":8,"op":"Write"}]}',
    );
  });

  it('counts OOM kills from memory.oom_control', () => {
    expect(oomKillCount(read, false)).toBe(2n);
  });

  it('an unlimited pids.max is no limit at all, as runc reports it', () => {
    const d = tree('v1/pids/unlimited', { 'pids.current': '1\n', 'pids.max': 'max\n' });
    const r = directoryReader((c) => (c === 'pids' ? d : undefined));
    const s = collectStats({ v2: false, read: r.read, listHugetlb: () => [] });
    expect(s.pids).toEqual({ current: 1n, limit: undefined });
    expect(toGoJson(s.pids)).toBe('{"current":1}');
  });
});

describe('v2 stats from a fake cgroupfs', () => {
  const dir = tree('v2/c', {
    'cpu.stat': 'usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\nnr_periods 8\nnr_throttled 2\nthrottled_usec 70\n',
    'memory.current': '1048576\n',
    'memory.max': 'max\n',
    'memory.swap.current': '4096\n',
    'memory.swap.max': '0\n',
    'memory.stat': 'anon 4096\nfile 12288\n',
    'memory.events': 'low 0\nhigh 0\nmax 5\noom 1\noom_kill 1\noom_group_kill 0\n',
    'pids.current': '2\n',
    'pids.max': 'max\n',
    'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.max': 'max\n',
    'hugetlb.2MB.events': 'max 3\n',
    'hugetlb.2MB.rsvd.current': '0\n',
  });
  const { read, list } = directoryReader(() => dir);
  const stats = collectStats({ v2: true, read, listHugetlb: () => list('hugetlb') });

  it('converts cpu.stat microseconds to nanoseconds', () => {
    expect(stats.cpu).toEqual({ usage: { total: 5_000_000n, kernel: 2_000_000n, user: 3_000_000n }, throttling: { periods: 8n, throttledPeriods: 2n, throttledTime: 70_000n } });
  });

  it('reports memory "max" as 2^64-1 exactly, and swap as memory+swap like v1', () => {
    expect(stats.memory.usage).toEqual({ limit: MAX_U64, usage: 1048576n, max: undefined, failcnt: 5n });
    expect(stats.memory.swap).toMatchObject({ limit: MAX_U64, usage: 1048576n + 4096n });
    expect(stats.memory.cache).toBe(12288n);
    expect(toGoJson(stats.memory.usage)).toBe('{"limit":18446744073709551615,"usage":1048576,"failcnt":5}');
  });

  it('maps io.stat to runc v1 tables, hugetlb from .current and events, pids, cpuset', () => {
    expect(stats.blkio).toEqual(parseIoStat('8:0 rbytes=4096 wbytes=8192 rios=1 wios=2'));
    expect(stats.blkio.ioServiceBytesRecursive).toEqual([
      { major: 8n, minor: undefined, op: 'Read', value: 4096n },
      { major: 8n, minor: undefined, op: 'Write', value: 8192n },
    ]);
    expect(stats.blkio.ioServicedRecursive).toHaveLength(2);
    expect(stats.hugetlb).toEqual({ '2MB': { usage: undefined, failcnt: 3n } });
    expect(stats.pids).toEqual({ current: 2n, limit: undefined });
    // runc 1.1 reports no cpuset lists on v2 (they are left out of the JSON).
    expect(stats.cpuset.cpus).toBeUndefined();
  });

  it('counts OOM kills from memory.events', () => {
    expect(oomKillCount(read, true)).toBe(1n);
  });

  it('a missing cgroup reads as zeros, not as a crash', () => {
    const none = directoryReader(() => join(root, 'gone'));
    expect(() => collectStats({ v2: true, read: none.read, listHugetlb: () => none.list('hugetlb') })).not.toThrow();
  });
});

describe('parsers', () => {
  it('cpu lists and v1 blkio lines', () => {
    expect(parseCpuList('0,2-3')).toEqual([0, 2, 3]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseBlkioV1('8:16 4096\nTotal 9\n')).toEqual([{ major: 8n, minor: 16n, op: undefined, value: 4096n }]);
  });

  it('Go JSON: exact big integers, fields left out when undefined, one line', () => {
    expect(toGoJson({ a: 9223372036854771712n, b: undefined, c: null, d: [1n, 2n], e: 'x"y' })).toBe('{"a":9223372036854771712,"c":null,"d":[1,2],"e":"x\\"y"}');
  });

  it('durations as runc takes them, with a clear error otherwise', () => {
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m30s')).toBe(90_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(() => parseDuration('5')).toThrow('--interval "5": not a duration; give one like 5s, 500ms or 1m');
    expect(() => parseDuration('0s')).toThrow(/greater than zero/);
  });
});

describe('which directory holds a controller', () => {
  it('v1/hybrid: the hierarchy that mounts it (cpu and cpuacct share one); v2: the one directory', () => {
    const layout = { mode: 'hybrid' as const, root: '/sys/fs/cgroup', v1: [{ dir: 'cpu,cpuacct', options: 'cpu,cpuacct' }, { dir: 'memory', options: 'memory' }], unifiedDir: 'unified' };
    const dirs = ['/sys/fs/cgroup/cpu,cpuacct/keel/c', '/sys/fs/cgroup/memory/keel/c', '/sys/fs/cgroup/unified/keel/c'];
    expect(controllerDir(layout, dirs, 'cpuacct')).toBe('/sys/fs/cgroup/cpu,cpuacct/keel/c');
    expect(controllerDir(layout, dirs, 'memory')).toBe('/sys/fs/cgroup/memory/keel/c');
    expect(controllerDir(layout, dirs, 'pids')).toBeUndefined();
    expect(controllerDir({ mode: 'v2', root: '/sys/fs/cgroup', v1: [] }, ['/sys/fs/cgroup/keel/c'], 'pids')).toBe('/sys/fs/cgroup/keel/c');
  });
});
