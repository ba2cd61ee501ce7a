/**
 * `keel events`: a container's resource usage as runc prints it. `--stats` prints one stats event
 * and exits (containerd's `ctr task metrics` and podman's `stats` read that line); without it,
 * one stats event per interval and an "oom" event whenever the kernel's OOM killer kills a process
 * of the container, until the container stops.
 */
import { managedCgroupOf } from '../cgroups/select-driver.js';
import { collectStats, oomKillCount, toGoJson, type Stats, type StatsSource } from '../cgroups/stats.js';
import { NoSuchContainer, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';

function liveStatsSource(store: StateStore, id: string): StatsSource {
  const record = store.readLive(id, 'read the events of');
  // Asked first: a container's cgroup says why it has none where it knows (a rootless one).
  const source = managedCgroupOf(record).statsSource();
  if (!record.cgroupPaths?.length) throw new KeelError(`cannot read the events of container "${id}": it has no cgroup`);
  return source;
}

export function statsEvent(id: string, stats: Stats): string {
  return toGoJson({ type: 'stats', id, data: stats });
}

export function oomEvent(id: string): string {
  return toGoJson({ type: 'oom', id });
}

/** `keel events --stats ID`: one line. */
export function containerStatsLine(store: StateStore, id: string): string {
  return statsEvent(id, collectStats(liveStatsSource(store, id)));
}

/** OOM kills are looked for at least this often, whatever the stats interval. */
const OOM_POLL_MS = 100;

/**
 * `keel events ID`: a stats line every `intervalMs`, an oom line for each new OOM kill, until the
 * container stops (then a last look for an OOM kill, which is often why it stopped).
 */
export async function streamEvents(store: StateStore, id: string, intervalMs: number, write: (line: string) => void): Promise<void> {
  const source = liveStatsSource(store, id);
  let ooms = oomKillCount(source.read, source.v2);
  const checkOom = () => {
    const now = oomKillCount(source.read, source.v2);
    for (; ooms < now; ooms++) write(oomEvent(id));
  };
  let nextStats = Date.now() + intervalMs;
  for (;;) {
    await new Promise((r) => setTimeout(r, Math.max(1, Math.min(OOM_POLL_MS, nextStats - Date.now()))));
    checkOom();
    if (stopped(store, id)) return;
    if (Date.now() >= nextStats) {
      write(statsEvent(id, collectStats(source)));
      nextStats += intervalMs;
    }
  }
}

/** Stopped, or already deleted (by an engine that does not wait for this stream). */
function stopped(store: StateStore, id: string): boolean {
  try {
    return store.status(store.read(id)) === 'stopped';
  } catch (err) {
    if (err instanceof NoSuchContainer) return true;
    throw err;
  }
}

/** A Go duration as runc's --interval takes it: "5s", "100ms", "1m30s", "1.5s". */
export function parseDuration(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) break;
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  if (!text || pos !== text.length) throw new KeelError(`--interval "${text}": not a duration; give one like 5s, 500ms or 1m`);
  if (total <= 0) throw new KeelError(`--interval "${text}": the interval must be greater than zero`);
  return total;
}
