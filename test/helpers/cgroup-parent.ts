/** A test's own parent cgroup, in every hierarchy of the host, and its removal after the test file. */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CG = '/sys/fs/cgroup';

/**
 * Removes `parent` (a cgroup path like "/keel-test-x-123") and the directories left under it in
 * every hierarchy. Call it after the containers are deleted: a cgroup with processes is busy.
 */
export function removeCgroupParent(parent: string): void {
  for (const hierarchy of readdirSync(CG)) {
    const dir = `${CG}/${hierarchy}${parent}`;
    if (!existsSync(dir)) continue;
    for (const child of readdirSync(dir, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(dir, child.name));
    rmdirSync(dir);
  }
}
