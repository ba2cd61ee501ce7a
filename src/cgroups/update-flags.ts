/** runc's `update` flags -> linux.resources, so they take the same path as `--resources`. */
import type { LinuxResources } from '../spec/types.js';
import { KeelError } from '../util/errors.js';

export interface UpdateFlags {
  memory?: string;
  'memory-swap'?: string;
  'memory-reservation'?: string;
  'cpu-quota'?: number;
  'cpu-period'?: number;
  'cpu-share'?: number;
  'cpuset-cpus'?: string;
  'cpuset-mems'?: string;
  'pids-limit'?: number;
  'blkio-weight'?: number;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "1g", "1048576", or "-1" for unlimited, as runc reads its memory flags. */
export function parseSize(flag: string, text: string): number {
  if (text === '-1') return -1;
  const m = /^(\d+)\s*([bkmgt]?)b?$/i.exec(text.trim());
  if (!m) throw new KeelError(`--${flag} "${text}": give bytes, optionally with k, m, g or t (e.g. 512m), or -1 for no limit`);
  return Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
}

export function resourcesFromFlags(f: UpdateFlags): LinuxResources {
  const r: LinuxResources = {};
  const memory = {
    ...(f.memory !== undefined && { limit: parseSize('memory', f.memory) }),
    ...(f['memory-swap'] !== undefined && { swap: parseSize('memory-swap', f['memory-swap']) }),
    ...(f['memory-reservation'] !== undefined && { reservation: parseSize('memory-reservation', f['memory-reservation']) }),
  };
  if (Object.keys(memory).length) r.memory = memory;
  const cpu = {
    ...(f['cpu-share'] !== undefined && { shares: f['cpu-share'] }),
    ...(f['cpu-quota'] !== undefined && { quota: f['cpu-quota'] }),
    ...(f['cpu-period'] !== undefined && { period: f['cpu-period'] }),
    ...(f['cpuset-cpus'] !== undefined && { cpus: f['cpuset-cpus'] }),
    ...(f['cpuset-mems'] !== undefined && { mems: f['cpuset-mems'] }),
  };
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (f['pids-limit'] !== undefined) r.pids = { limit: f['pids-limit'] };
  if (f['blkio-weight'] !== undefined) r.blockIO = { weight: f['blkio-weight'] };
  return r;
}
