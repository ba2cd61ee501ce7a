/**
 * Busybox bundles for integration tests: a tiny rootfs (static busybox and its applet links, an
 * /etc/passwd) and a config.json from keel's own default spec, adjusted per test.
 */
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { defaultSpec } from '../../src/spec/default.js';
import type { Spec } from '../../src/spec/types.js';

const BUSYBOX = '/bin/busybox';
let template: string | undefined;

/**
 * One rootfs template for every test worker and run, keyed by the busybox it holds, copied into
 * each bundle (~2 MB: cheap, and tests may write to their copy). Made in a private directory and
 * renamed into place, so workers racing to make it end with one.
 */
export function rootfsTemplate(): string {
  if (template && existsSync(template)) return template;
  if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: run "make test" (it installs busybox-static)`);
  const { size, mtimeMs } = statSync(BUSYBOX);
  const path = join(tmpdir(), `keel-test-rootfs-${size}-${Math.round(mtimeMs)}`);
  if (!existsSync(path)) {
    const draft = mkdtempSync(join(tmpdir(), 'keel-rootfs-'));
    // mkdtemp makes 0700; a container's / must be searchable by non-root users.
    chmodSync(draft, 0o755);
    for (const dir of ['bin', 'etc', 'proc', 'sys', 'dev', 'root']) mkdirSync(join(draft, dir), { mode: 0o755 });
    mkdirSync(join(draft, 'tmp'));
    chmodSync(join(draft, 'tmp'), 0o1777);
    cpSync(BUSYBOX, join(draft, 'bin/busybox'));
    const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
    for (const applet of applets) symlinkSync('busybox', join(draft, 'bin', applet));
    writeFileSync(join(draft, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n');
    writeFileSync(join(draft, 'etc/group'), 'root:x:0:\nnobody:x:65534:\n');
    try {
      renameSync(draft, path);
    } catch {
      rmSync(draft, { recursive: true, force: true }); // another worker made it first
    }
  }
  template = path;
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
