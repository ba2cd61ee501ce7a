/** The state root when --root is not given (runc's rule, with one difference: see defaultStateRoot). */
import { inInitialUserNamespace, type RootlessFacts } from '../host/rootless.js';
import { KeelError } from '../util/errors.js';
import { DEFAULT_ROOT } from './store.js';

/** What the default state root depends on. */
export interface StateRootFacts extends RootlessFacts {
  env: NodeJS.ProcessEnv;
}

/**
 * The state root when --root is not given. runc's rule: $XDG_RUNTIME_DIR/<runtime> when
 * XDG_RUNTIME_DIR is set and keel is not the real root (euid 0 in the initial user namespace),
 * nor root in a user namespace with USER=root; /run/keel otherwise. keel differs in one case: a
 * plain user without XDG_RUNTIME_DIR is refused here (runc would try /run/runc, which that user
 * cannot write, and fail later at mkdir; a rootless keel never uses /run/keel).
 */
export function defaultStateRoot(facts: StateRootFacts): string {
  const xdg = facts.env.XDG_RUNTIME_DIR;
  const realRoot = facts.euid === 0 && inInitialUserNamespace(facts.uidMap);
  if (xdg && !realRoot && !(facts.euid === 0 && facts.env.USER === 'root')) return `${xdg.replace(/\/+$/, '')}/keel`;
  if (facts.euid !== 0) {
    throw new KeelError(`keel runs as uid ${facts.euid} without XDG_RUNTIME_DIR: set XDG_RUNTIME_DIR to a directory of yours (usually /run/user/${facts.euid}), or give --root`);
  }
  return DEFAULT_ROOT;
}
