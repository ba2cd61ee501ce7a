/**
 * `keel restore`: a new container, from a bundle, whose processes CRIU brings back from a
 * checkpoint's images. Everything that can refuse (the flags, the id, CRIU itself, the bundle, the
 * images) refuses before the host changes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { checkCriu } from '../criu/check.js';
import type { RestoreOptions } from '../criu/options.js';
import { loadBundle } from '../spec/load.js';
import { validateId, type StateStore } from '../state/store.js';
import { KeelError } from '../util/errors.js';

export interface RestoreTarget {
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  detach: boolean;
}

export async function restoreContainer(store: StateStore, target: RestoreTarget, opts: RestoreOptions, criuBinary?: string): Promise<number> {
  const { id } = target;
  validateId(id);
  if (existsSync(store.dir(id))) throw new KeelError(`cannot restore container "${id}": container "${id}" already exists (restore into a new id, or delete it first)`);
  const criu = checkCriu(criuBinary);
  if (!criu.ready) throw new KeelError(`cannot restore container "${id}": ${criu.reason}`);
  loadBundle(target.bundle);
  if (!existsSync(join(opts.imagesDir, 'inventory.img'))) {
    throw new KeelError(`cannot restore container "${id}": ${opts.imagesDir} holds no checkpoint (no inventory.img): name the checkpoint's directory with --image-path`);
  }
  return Promise.reject(new KeelError(`cannot restore container "${id}" from ${opts.imagesDir}: keel does not drive CRIU yet (issue #18)`));
}
