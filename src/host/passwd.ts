import { closeSync, fstatSync, readSync } from 'node:fs';

import { openInRoot } from '../native/libkeel.js';
import { homeOf } from '../plan/passwd.js';

/** No passwd file is this large; a bigger one is not read. */
const MAX_PASSWD_BYTES = 4 * 1024 * 1024;

/**
 * The home directory of `uid` in the /etc/passwd of the tree at `root` (a rootfs, or
 * /proc/<pid>/root), or undefined. The file is opened inside `root` (RESOLVE_IN_ROOT): an
 * /etc/passwd that is a symlink to the host's /etc/passwd, or a FIFO, cannot be read from the host.
 */
export function passwdHome(root: string, uid: number): string | undefined {
  let fd: number;
  try {
    fd = openInRoot(root, '/etc/passwd');
  } catch {
    return undefined; // none there (or no openat2): the process gets HOME=/
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > MAX_PASSWD_BYTES) return undefined;
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return homeOf(buf.subarray(0, got).toString('utf8'), uid);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}
