import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { defaultSpec } from '../../../src/spec/default.js';
import { SPEC_VERSION } from '../../../src/spec/version.js';

const RUNC = '/usr/bin/runc';
const scratch = mkdtempSync(join(tmpdir(), 'keel-spec-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** What `runc spec [--rootless]` writes, with keel's intended differences applied. */
function runcTemplateAsKeelWritesIt(rootless: boolean): any {
  const bundle = mkdtempSync(join(scratch, 'bundle-'));
  execFileSync(RUNC, ['spec', '--bundle', bundle, ...(rootless ? ['--rootless'] : [])]);
  const spec = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
  spec.ociVersion = SPEC_VERSION;
  spec.hostname = 'keel';
  // runc before 1.2 also granted the template's capabilities as ambient ones.
  delete spec.process.capabilities.ambient;
  // runc asks for a cgroup namespace only on cgroup v2 hosts; keel always does, after mount.
  const namespaces: { type: string }[] = spec.linux.namespaces;
  if (!namespaces.some((ns) => ns.type === 'cgroup')) {
    namespaces.splice(namespaces.findIndex((ns) => ns.type === 'mount') + 1, 0, { type: 'cgroup' });
  }
  return spec;
}

describe('defaultSpec', () => {
  it('is a fresh object each time', () => {
    const a = defaultSpec();
    a.process!.args.push('-x');
    expect(defaultSpec().process!.args).toEqual(['sh']);
  });

  it('maps the calling user to root when rootless', () => {
    const linux = defaultSpec({ rootless: true }).linux!;
    expect(linux.uidMappings).toEqual([{ containerID: 0, hostID: process.geteuid!(), size: 1 }]);
    expect(linux.gidMappings).toEqual([{ containerID: 0, hostID: process.getegid!(), size: 1 }]);
    expect(linux.namespaces!.map((ns) => ns.type)).toEqual(['pid', 'ipc', 'uts', 'mount', 'cgroup', 'user']);
    expect(linux.resources).toBeUndefined();
  });

  it.runIf(existsSync(RUNC)).each([false, true])('matches runc spec (rootless: %s)', (rootless) => {
    const ours = defaultSpec({ rootless });
    expect(ours).toEqual(runcTemplateAsKeelWritesIt(rootless));
    // Same field order too, so the two files read alike.
    expect(JSON.stringify(ours)).toBe(JSON.stringify(runcTemplateAsKeelWritesIt(rootless)));
  });
});
