/** The kernel's list syntax for CPUs and memory nodes ("0-3,7"), as config.json carries it. */

/** The highest CPU or node number keel takes: the kernel's largest NR_CPUS (8192). */
export const MAX_LIST_ID = 8191;

/** The numbers of a list such as "0-3,7", sorted and unique; a message when it is malformed. */
export function parseIdList(text: string): number[] | string {
  const ids = new Set<number>();
  const trimmed = text.trim();
  if (trimmed === '') return [];
  for (const part of trimmed.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) return `"${text}" is not a list such as "0-3,7" (numbers and ranges, separated by commas)`;
    const first = Number(m[1]);
    const last = m[2] === undefined ? first : Number(m[2]);
    if (last < first) return `"${part.trim()}" in "${text}" is a range whose end comes before its start`;
    if (last > MAX_LIST_ID) return `${last} in "${text}" is above ${MAX_LIST_ID}, the most the kernel allows`;
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}
