/**
 * keel's side of CRIU's RPC against the real CRIU: a VERSION request over `criu swrk` is answered
 * with the version `criu --version` prints. This works even where `criu check` fails (this host),
 * as the request needs no kernel feature; so the codec and the socket protocol are tested here.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { KEEL, requireRootAndBuild } from '../helpers/keel.js';

let criuVersion: (binary: string) => Promise<string>;

beforeAll(async () => {
  requireRootAndBuild();
  process.env.KEEL_NATIVE_DIR = join(KEEL, '..');
  ({ criuVersion } = await import('../../src/criu/swrk.js'));
});

describe('criu swrk', () => {
  it("answers keel's VERSION request with the version criu --version prints", async () => {
    const printed = /Version:\s*(\S+)/.exec(execFileSync('criu', ['--version'], { encoding: 'utf8' }))?.[1];
    expect(printed).toMatch(/^\d+\.\d+/);
    expect(await criuVersion('criu')).toBe(printed);
  });

  it('names a CRIU binary that does not run', async () => {
    await expect(criuVersion('/nonexistent/criu')).rejects.toThrow('cannot start "/nonexistent/criu swrk"');
  });
});
