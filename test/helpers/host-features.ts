/**
 * Optional kernel features, as the host itself reports them (not as keel judges them), for tests
 * that check the feature where the host has it and keel's refusal where it does not.
 */
import { existsSync, readFileSync } from 'node:fs';

import { detectCgroupLayout } from '../../src/cgroups/layout.js';

const CG = '/sys/fs/cgroup';
const v2 = () => detectCgroupLayout().mode === 'v2';

/** Whether a cgroup v1 hierarchy for `controller` is mounted and its root has `file` (when given). */
export function v1ControllerHas(controller: string, file?: string): boolean {
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => / - cgroup cgroup /.test(line) && line.split(' - ')[1]!.split(' ')[2]!.split(',').includes(controller));
  return mounted && (file === undefined || existsSync(`${CG}/${controller}/${file}`));
}

/** Swap accounting: v1's memory.memsw.* files; on v2, on unless the kernel was booted with cgroup.memory=noswap. */
export function swapAccounting(): boolean {
  if (v2()) return !/\bcgroup\.memory=\S*noswap/.test(readFileSync('/proc/cmdline', 'utf8'));
  return v1ControllerHas('memory', 'memory.memsw.limit_in_bytes');
}

/** RT group scheduling (CONFIG_RT_GROUP_SCHED): v1's cpu.rt_runtime_us; cgroup v2 has none. */
export function rtGroupScheduling(): boolean {
  return !v2() && v1ControllerHas('cpu', 'cpu.rt_runtime_us');
}
