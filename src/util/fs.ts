import { renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file so that readers see the old or the new content, never a torn one. No fsync: state
 * lives on tmpfs (/run) and means nothing after a reboot, so durability would only cost time.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data, { mode });
  renameSync(tmp, path);
}
