/**
 * The usual integration-test setup in one call: root and a built keel are required, a private
 * keel root is made for the file, and everything the tests made is removed after them.
 */
import { afterAll, beforeAll } from 'vitest';

import { makeBundle, type Bundle } from './bundle.js';
import { KeelRoot, requireRootAndBuild } from './keel.js';

export interface Testbed {
  /** The file's private keel (valid inside tests and hooks). */
  readonly keel: KeelRoot;
  /** A busybox bundle, removed after the file's tests. */
  bundle: (edit?: Parameters<typeof makeBundle>[0]) => Bundle;
  /** Bundles the file made itself; they are removed with the rest. */
  readonly bundles: Bundle[];
}

export function useTestbed(): Testbed {
  let keel: KeelRoot | undefined;
  const bundles: Bundle[] = [];
  beforeAll(() => {
    requireRootAndBuild();
    keel = new KeelRoot();
  });
  afterAll(() => {
    keel?.cleanup();
    for (const b of bundles) b.remove();
  });
  return {
    get keel() {
      if (!keel) throw new Error('the testbed is ready only inside tests and hooks');
      return keel;
    },
    bundle(edit) {
      const b = makeBundle(edit);
      bundles.push(b);
      return b;
    },
    bundles,
  };
}
