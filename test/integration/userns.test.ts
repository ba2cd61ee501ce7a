/**
 * User namespaces: the container's root mapped to an unprivileged host uid, as keel writes the
 * maps itself between the sync points; seen from inside (maps, id) and from the host.
 */
import { chmodSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const HOST_ID = 300000;
let n = 0;

/** The bundle directory is made 0700; the namespace's root is another uid and must reach its rootfs. */
function reachable<T extends { dir: string }>(b: T): T {
  chmodSync(b.dir, 0o755);
  return b;
}

function userns(s: Spec): void {
  s.linux!.namespaces = [...(s.linux!.namespaces ?? []), { type: 'user' }];
  s.linux!.uidMappings = [{ containerID: 0, hostID: HOST_ID, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: HOST_ID + 100000, size: 65536 }];
}

function run(edit: (s: Spec) => void, script: string) {
  const b = reachable(
    bed.bundle((s) => {
      userns(s);
      s.process!.args = ['sh', '-c', script];
      edit(s);
    }),
  );
  return { bundle: b, result: bed.keel.run(['run', '--bundle', b.dir, `userns-${process.pid}-${n++}`]) };
}

const squash = (s: string) => s.replace(/[ \t]+/g, ' ').trim();

describe('user namespaces', () => {
  it('uid_map and gid_map hold the mappings, and id says root', () => {
    const { result: r } = run(() => {}, 'cat /proc/self/uid_map /proc/self/gid_map; id');
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, 2).map(squash)).toEqual([`0 ${HOST_ID} 65536`, `0 ${HOST_ID + 100000} 65536`]);
    expect(lines[2]).toBe('uid=0(root) gid=0(root)'); // no supplementary groups, as with runc
  });

  it("the container's root is an unprivileged uid on the host, and a container user maps within the range", () => {
    const id = `userns-detached-${process.pid}`;
    const b = reachable(
      bed.bundle((s) => {
        userns(s);
        s.process!.args = ['sleep', '100'];
      }),
    );
    bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
    try {
      const pid = JSON.parse(bed.keel.ok(['state', id])).pid;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(status).toMatch(new RegExp(`^Uid:\\t${HOST_ID}\\t${HOST_ID}\\t${HOST_ID}\\t${HOST_ID}$`, 'm'));
      expect(status).toMatch(new RegExp(`^Gid:\\t${HOST_ID + 100000}\\t`, 'm'));
      // keel exec joins the user namespace too
      expect(bed.keel.ok(['exec', '--user', '1000:1000', id, 'id'])).toBe('uid=1000 gid=1000\n');
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });

  it('root in the namespace is not root outside: files owned by host root stay out of reach', () => {
    // The rootfs is owned by host uid 0, unmapped here: it shows as nobody, and /etc is not writable.
    const { result: r } = run((s) => (s.root = { path: 'rootfs', readonly: false }), 'stat -c %u /etc; touch /etc/x 2>&1 || echo refused');
    expect(r.stdout).toMatch(/^65534\n.*(Permission denied|Read-only).*\nrefused\n$/s);
  });

  it('gives the same maps and id as runc', () => {
    const runc = new RuncRoot();
    try {
      const { bundle, result } = run(() => {}, 'cat /proc/self/uid_map /proc/self/gid_map; id; grep -E "^Cap(Eff|Bnd)" /proc/self/status');
      const theirs = runc.run(['run', '--bundle', bundle.dir, `userns-runc-${process.pid}`]);
      expect(theirs.code, theirs.stderr).toBe(0);
      expect(result.stdout).toBe(theirs.stdout);
    } finally {
      runc.cleanup();
    }
  });
});
