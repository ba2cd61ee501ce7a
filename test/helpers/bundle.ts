/**
 * Busybox bundles for integration tests: a tiny rootfs (static busybox and its applet links, an
 * /etc/passwd) and a config.json from keel's own default spec, adjusted per test.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defaultSpec } from '../../src/spec/default.js';
import type { Spec } from '../../src/spec/types.js';

const BUSYBOX = '/bin/busybox';
let template: string | undefined;

/** One rootfs per test run, copied into each bundle (a copy of ~2 MB: cheap, and tests may write to it). */
function rootfsTemplate(): string {
  if (template && existsSync(template)) return template;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: run "make test" (it installs busybox-static)`);
  template = mkdtempSync(join(tmpdir(), 'keel-rootfs-'));
  // mkdtemp makes 0700; a container's / must be searchable by non-root users.
  chmodSync(template, 0o755);
  for (const dir of ['bin', 'etc', 'proc', 'sys', 'dev', 'root']) mkdirSync(join(template, dir), { mode: 0o755 });
  mkdirSync(join(template, 'tmp'));
  chmodSync(join(template, 'tmp'), 0o1777);
  cpSync(BUSYBOX, join(template, 'bin/busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', join(template, 'bin', applet));
  writeFileSync(join(template, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
  writeFileSync(join(template, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
  process.on('exit', () => rmSync(template!, { recursive: true, force: true }));
  return template;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  spec: Spec;
  /** Rewrites config.json after changing `spec`. */
  save(): void;
  remove(): void;
}

export function makeBundle(edit: (spec: Spec) => void = () => {}): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bundle-'));
  const rootfs = join(dir, 'rootfs');
  cpSync(rootfsTemplate(), rootfs, { recursive: true, verbatimSymlinks: true });
  const spec = defaultSpec();
  spec.process!.terminal = false;
  spec.root = { path: 'rootfs', readonly: false };
  edit(spec);
  const bundle: Bundle = {
    dir,
    rootfs,
    spec,
    save: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(bundle.spec, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  bundle.save();
  return bundle;
}

export function readConfig(bundle: Bundle): Spec {
  return JSON.parse(readFileSync(join(bundle.dir, 'config.json'), 'utf8')) as Spec;
}
