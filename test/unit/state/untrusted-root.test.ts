/** Which state roots keel refuses to keep records under: anything another user could change. */
import { describe, expect, it } from 'vitest';

import { untrustedRoot } from '../../../src/state/store.js';

const dir = { symlink: false, directory: true, uid: 1001, mode: 0o40700 };

describe('untrustedRoot', () => {
  it("accepts the user's own directory, and root's (/run/keel is 0711)", () => {
    expect(untrustedRoot('/run/user/1001/keel', dir, 1001)).toBeUndefined();
    expect(untrustedRoot('/run/keel', { ...dir, uid: 0, mode: 0o40711 }, 0)).toBeUndefined();
    expect(untrustedRoot('/run/keel', { ...dir, uid: 0, mode: 0o40711 }, 1001)).toBeUndefined();
  });

  it('refuses a symlink, a non-directory, another user\'s directory, and one others may write', () => {
    expect(untrustedRoot('/r', { ...dir, symlink: true }, 1001)).toMatch(/^state root "\/r" is a symlink/);
    expect(untrustedRoot('/r', { ...dir, directory: false }, 1001)).toMatch(/is not a directory/);
    expect(untrustedRoot('/r', { ...dir, uid: 1002 }, 1001)).toBe(`state root "/r" belongs to uid 1002, not to keel's uid 1001: use a directory of your own (--root, or XDG_RUNTIME_DIR)`);
    expect(untrustedRoot('/r', { ...dir, uid: 1001 }, 0)).toMatch(/belongs to uid 1001, not to keel's uid 0/);
    expect(untrustedRoot('/r', { ...dir, mode: 0o40770 }, 1001)).toMatch(/writable by its group \(mode 770\)/);
    expect(untrustedRoot('/r', { ...dir, mode: 0o41777 }, 1001)).toMatch(/writable by its group \(mode 1777\)/);
    expect(untrustedRoot('/r', { ...dir, mode: 0o40702 }, 1001)).toMatch(/writable by other users \(mode 702\)/);
  });
});
