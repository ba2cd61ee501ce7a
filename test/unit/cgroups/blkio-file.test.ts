import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { v1BlkioFile } from '../../../src/cgroups/manager.js';

const root = mkdtempSync(join(tmpdir(), 'keel-fake-blkio-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function blkioDir(name: string, files: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  for (const f of files) writeFileSync(join(dir, f), '');
  return dir;
}

describe('v1 blkio weight files', () => {
  it('CFQ kernels: blkio.weight and blkio.weight_device as named', () => {
    const dir = blkioDir('cfq', ['blkio.weight', 'blkio.weight_device', 'blkio.bfq.weight']);
    expect(v1BlkioFile(dir, 'blkio.weight')).toBe('blkio.weight');
    expect(v1BlkioFile(dir, 'blkio.weight_device')).toBe('blkio.weight_device');
  });

  it("BFQ-only kernels (this host's): BFQ's own files, the way runc writes them", () => {
    const dir = blkioDir('bfq', ['blkio.bfq.weight', 'blkio.bfq.weight_device', 'blkio.throttle.read_bps_device']);
    expect(v1BlkioFile(dir, 'blkio.weight')).toBe('blkio.bfq.weight');
    expect(v1BlkioFile(dir, 'blkio.weight_device')).toBe('blkio.bfq.weight_device');
    expect(v1BlkioFile(dir, 'blkio.throttle.read_bps_device')).toBe('blkio.throttle.read_bps_device');
  });

  it('neither: the name as asked, so that the error names the file the config meant', () => {
    expect(v1BlkioFile(blkioDir('none', []), 'blkio.weight')).toBe('blkio.weight');
  });
});
