/**
 * The rootless decision and the default state root, against runc 1.1's rules (main.go's
 * shouldHonorXDGRuntimeDir, rootless_linux.go's shouldUseRootlessCgroupManager) and the kernel's
 * /proc/self/uid_map text of the initial user namespace.
 */
import { describe, expect, it } from 'vitest';

import { inInitialUserNamespace, isRootless } from '../../../src/host/rootless.js';
import { defaultStateRoot } from '../../../src/state/default-root.js';

const INITIAL = '         0          0 4294967295\n';
const USERNS = '         0       1001          1\n         1     100000      65536\n';

describe('inInitialUserNamespace', () => {
  it('is the identity map of all 2^32-1 ids only', () => {
    expect(inInitialUserNamespace(INITIAL)).toBe(true);
    expect(inInitialUserNamespace(USERNS)).toBe(false);
    expect(inInitialUserNamespace('0 0 65536\n')).toBe(false);
    expect(inInitialUserNamespace('')).toBe(false);
  });
});

describe('isRootless', () => {
  it('auto: rootless when the euid is not 0, or root of a user namespace', () => {
    expect(isRootless('auto', { euid: 0, uidMap: INITIAL })).toBe(false);
    expect(isRootless('auto', { euid: 1001, uidMap: INITIAL })).toBe(true);
    expect(isRootless('auto', { euid: 0, uidMap: USERNS })).toBe(true);
    expect(isRootless(undefined, { euid: 1001, uidMap: INITIAL })).toBe(true);
  });

  it('true and false are taken as given', () => {
    expect(isRootless('true', { euid: 0, uidMap: INITIAL })).toBe(true);
    expect(isRootless('false', { euid: 1001, uidMap: INITIAL })).toBe(false);
  });

  it('refuses any other value, naming the flag', () => {
    expect(() => isRootless('yes', { euid: 0, uidMap: INITIAL })).toThrow(/^--rootless: "yes" is not one of true, false or auto$/);
  });
});

describe('defaultStateRoot', () => {
  it('real root uses /run/keel, even with XDG_RUNTIME_DIR set (runc ignores /run/user/0)', () => {
    expect(defaultStateRoot({ euid: 0, uidMap: INITIAL, env: { XDG_RUNTIME_DIR: '/run/user/0' } })).toBe('/run/keel');
    expect(defaultStateRoot({ euid: 0, uidMap: INITIAL, env: {} })).toBe('/run/keel');
  });

  it('a plain user uses $XDG_RUNTIME_DIR/keel', () => {
    expect(defaultStateRoot({ euid: 1001, uidMap: INITIAL, env: { XDG_RUNTIME_DIR: '/run/user/1001/' } })).toBe('/run/user/1001/keel');
  });

  it('root of a user namespace uses $XDG_RUNTIME_DIR/keel unless USER=root', () => {
    expect(defaultStateRoot({ euid: 0, uidMap: USERNS, env: { XDG_RUNTIME_DIR: '/run/user/1001', USER: 'alice' } })).toBe('/run/user/1001/keel');
    expect(defaultStateRoot({ euid: 0, uidMap: USERNS, env: { XDG_RUNTIME_DIR: '/run/user/1001' } })).toBe('/run/user/1001/keel');
    expect(defaultStateRoot({ euid: 0, uidMap: USERNS, env: { XDG_RUNTIME_DIR: '/run/user/1001', USER: 'root' } })).toBe('/run/keel');
  });

  it('a plain user without XDG_RUNTIME_DIR is refused, never given /run/keel', () => {
    expect(() => defaultStateRoot({ euid: 1001, uidMap: INITIAL, env: {} })).toThrow(/uid 1001 without XDG_RUNTIME_DIR: set XDG_RUNTIME_DIR .*\/run\/user\/1001.*or give --root/);
  });
});
