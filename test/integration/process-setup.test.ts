/**
 * How keel-init turns itself into the container's process: supplementary groups, a failed execve,
 * the working directory, time namespace offsets in a user namespace, compared with runc where
 * the audit found them apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import type { Bundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { runToCompletion, type KeelResult, type KeelRoot } from '../helpers/keel.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let seq = 0;
const nextId = (what: string) => `proc-${what}-${process.pid}-${seq++}`;

/** The bundle directory is made 0700; a user namespace's root is another uid and must reach its rootfs. */
/** Runs `use` with a runc of its own state root, removed afterwards: the cases compare keel with it. */
function withRunc(use: (runc: RuncRoot) => void): void {
  const runc = new RuncRoot();
  try {
    use(runc);
  } finally {
    runc.cleanup();
  }
}

function reachable(b: Bundle): Bundle {
  chmodSync(b.dir, 0o755);
  return b;
}

function userns(s: Spec): void {
  s.linux!.namespaces = [...(s.linux!.namespaces ?? []), { type: 'user' }];
  s.linux!.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
}

/**
 * A user namespace for a container to join, held by a sleeping process: the same ids as
 * userns() maps, with setgroups allowed or denied (denied before the gid map is written).
 */
async function holdUserNamespace(setgroups: 'allow' | 'deny'): Promise<{ holder: ChildProcess; nsPath: string }> {
  const holder = spawn('unshare', ['--user', 'sleep', '1000'], { stdio: 'ignore' });
  const own = readlinkSync('/proc/self/ns/user');
  await eventually(() => readlinkSync(`/proc/${holder.pid}/ns/user`) !== own);
  writeFileSync(`/proc/${holder.pid}/setgroups`, setgroups);
  writeFileSync(`/proc/${holder.pid}/uid_map`, '0 300000 65536');
  writeFileSync(`/proc/${holder.pid}/gid_map`, '0 400000 65536');
  return { holder, nsPath: `/proc/${holder.pid}/ns/user` };
}

/** Runs the runtime as a caller whose supplementary groups are 5, 6 and 77. */
function withCallerGroups(rt: KeelRoot, args: string[]): KeelResult {
  return runToCompletion('setpriv', ['--groups', '5,6,77', rt.binary, '--root', rt.root, ...args], rt.root);
}

describe("the caller's supplementary groups stay out of the container", () => {
  const asUser = (s: Spec) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.args = ['id'];
  };

  it('run without additionalGids: no groups, as with runc', () => {
    const b = bed.bundle(asUser);
    const keel = withCallerGroups(bed.keel, ['run', '--bundle', b.dir, nextId('groups')]);
    expect(keel.stderr).toBe('');
    expect(keel.stdout).toBe('uid=1000 gid=1000\n');
    withRunc((runc) => {
      expect(withCallerGroups(runc, ['run', '--bundle', b.dir, nextId('groups-runc')]).stdout).toBe(keel.stdout);
    });
  });

  it('run with additionalGids: exactly those', () => {
    const b = bed.bundle((s) => {
      asUser(s);
      s.process!.user!.additionalGids = [10, 20];
    });
    expect(withCallerGroups(bed.keel, ['run', '--bundle', b.dir, nextId('groups')]).stdout).toBe('uid=1000 gid=1000 groups=10,20\n');
  });

  it('run in a new user namespace: no groups (unmapped ones would show as 65534)', () => {
    const b = reachable(bed.bundle((s) => (asUser(s), userns(s))));
    const r = withCallerGroups(bed.keel, ['run', '--bundle', b.dir, nextId('groups-userns')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('uid=1000 gid=1000\n');
  });

  for (const withUserns of [false, true]) {
    it(`exec, with and without --user${withUserns ? ', in a user namespace' : ''}: no groups`, () => {
      const id = nextId('groups-exec');
      const b = reachable(
        bed.bundle((s) => {
          s.process!.args = ['sleep', '1000'];
          if (withUserns) userns(s);
        }),
      );
      bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
      try {
        expect(withCallerGroups(bed.keel, ['exec', id, 'id']).stdout).toBe('uid=0(root) gid=0(root)\n');
        expect(withCallerGroups(bed.keel, ['exec', '--user', '1000:1000', id, 'id']).stdout).toBe('uid=1000 gid=1000\n');
        expect(withCallerGroups(bed.keel, ['exec', '--user', '1000:1000', '--additional-gids', '30', id, 'id']).stdout).toBe('uid=1000 gid=1000 groups=30\n');
      } finally {
        bed.keel.run(['delete', '--force', id]);
      }
    });
  }

  describe('in a joined user namespace whose setgroups is "deny"', () => {
    let holder: ChildProcess;
    let nsPath: string;
    beforeAll(async () => {
      // As `unshare --map-root-user` leaves it: setgroups denied before the gid map is written.
      ({ holder, nsPath } = await holdUserNamespace('deny'));
    });
    afterAll(() => {
      holder?.kill('SIGKILL');
    });

    const joined = (s: Spec) => {
      asUser(s);
      s.linux!.namespaces = [...(s.linux!.namespaces ?? []), { type: 'user', path: nsPath }];
      // The namespace's own maps: runc wants them in the config even when it joins.
      s.linux!.uidMappings = [{ containerID: 0, hostID: 300000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 400000, size: 65536 }];
    };

    it('the groups cannot be changed there, so keel leaves them, as runc does', () => {
      const b = reachable(bed.bundle(joined));
      const keel = withCallerGroups(bed.keel, ['run', '--bundle', b.dir, nextId('groups-deny')]);
      expect(keel.stderr).toBe('');
      expect(keel.stdout).toBe('uid=1000 gid=1000 groups=65534(nobody),65534(nobody),65534(nobody)\n');
      withRunc((runc) => {
        expect(withCallerGroups(runc, ['run', '--bundle', b.dir, nextId('groups-deny-runc')]).stdout).toBe(keel.stdout);
      });
    });

    it('exec there runs too, with the groups it had', () => {
      const id = nextId('groups-deny-exec');
      const b = reachable(bed.bundle((s) => (joined(s), (s.process!.args = ['sleep', '1000']))));
      withCallerGroups(bed.keel, ['run', '--detach', '--bundle', b.dir, id]);
      try {
        const r = withCallerGroups(bed.keel, ['exec', '--user', '1000:1000', id, 'id']);
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe('uid=1000 gid=1000 groups=65534(nobody),65534(nobody),65534(nobody)\n');
      } finally {
        bed.keel.run(['delete', '--force', id]);
      }
    });

    // runc ignores them there and runs with the caller's groups; keel says it cannot grant them.
    it('additionalGids there fail, naming the field', () => {
      const b = reachable(bed.bundle((s) => (joined(s), (s.process!.user!.additionalGids = [10]))));
      const r = withCallerGroups(bed.keel, ['run', '--bundle', b.dir, nextId('groups-deny')]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/additionalGids.*setgroups is denied/);
    });
  });
});

describe('a program that cannot be executed after start says why', () => {
  const garbage = (b: Bundle) => {
    writeFileSync(`${b.rootfs}/bin/garb`, 'garbage\0\x01\x02');
    chmodSync(`${b.rootfs}/bin/garb`, 0o755);
    writeFileSync(`${b.rootfs}/bin/scr`, '#!/nonexistent/sh\necho hi\n');
    chmodSync(`${b.rootfs}/bin/scr`, 0o755);
    return b;
  };

  for (const [program, reason] of [
    ['/bin/garb', 'exec format error'],
    ['/bin/scr', 'no such file or directory'],
  ] as const) {
    it(`run ${program}: "${reason}" on the container's stderr, exit status 1, as runc`, () => {
      const b = garbage(bed.bundle((s) => (s.process!.args = [program])));
      const keel = bed.keel.run(['run', '--bundle', b.dir, nextId('badexec')]);
      expect(keel.stderr).toBe(`keel: exec "${program}": ${reason}\n`);
      expect(keel.code).toBe(1);
      withRunc((runc) => {
        const r = runc.run(['run', '--bundle', b.dir, nextId('badexec-runc')]);
        expect(r.stderr).toBe(`exec ${program}: ${reason}\n`);
        expect(r.code).toBe(keel.code);
      });
    });
  }

  it('exec of such programs fails with exit status 1 and says why, as runc', () => {
    const id = nextId('badexec-exec');
    const b = garbage(bed.bundle((s) => (s.process!.args = ['sleep', '1000'])));
    bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
    try {
      const garb = bed.keel.run(['exec', id, '/bin/garb']);
      expect(garb.code).toBe(1);
      expect(garb.stderr).toMatch(/^keel: exec "\/bin\/garb".*: exec format error\n$/);
      const scr = bed.keel.run(['exec', id, '/bin/scr']);
      expect(scr.code).toBe(1);
      expect(scr.stderr).toMatch(/^keel: exec "\/bin\/scr".*: no such file or directory\n$/);
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });
});

describe('the working directory is entered before the user changes, as runc', () => {
  /** A directory in the rootfs with this owner and mode. */
  const dir = (b: Bundle, path: string, uid: number, gid: number, mode: number) => {
    mkdirSync(`${b.rootfs}${path}`);
    chownSync(`${b.rootfs}${path}`, uid, gid);
    chmodSync(`${b.rootfs}${path}`, mode);
    return b;
  };
  const inPriv = (s: Spec) => {
    s.process!.user = { uid: 1000, gid: 1000 };
    s.process!.cwd = '/priv';
    s.process!.args = ['pwd'];
  };

  it('run: a cwd only root may enter (root-owned, 0700) works for user 1000, as with runc', () => {
    const b = dir(bed.bundle(inPriv), '/priv', 0, 0, 0o700);
    const keel = bed.keel.run(['run', '--bundle', b.dir, nextId('cwd')]);
    expect(keel.stderr).toBe('');
    expect(keel.stdout).toBe('/priv\n');
    withRunc((runc) => {
      const r = runc.run(['run', '--bundle', b.dir, nextId('cwd-runc')]);
      expect([r.code, r.stdout]).toEqual([0, keel.stdout]);
    });
  });

  it('exec --cwd /priv --user 1000:1000 works too', () => {
    const id = nextId('cwd-exec');
    const b = dir(bed.bundle((s) => (s.process!.args = ['sleep', '1000'])), '/priv', 0, 0, 0o700);
    bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
    try {
      expect(bed.keel.ok(['exec', '--cwd', '/priv', '--user', '1000:1000', id, 'pwd'])).toBe('/priv\n');
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });

  // In a user namespace, root may not override the permissions of a directory whose owner is
  // unmapped (as root squashed on NFS): a group that lets the user in then needs the retry.
  it("where root is refused and the user is let in, the user's retry enters it, as with runc", () => {
    const b = reachable(bed.bundle((s) => (inPriv(s), userns(s))));
    dir(b, '/priv', 0, 400000 + 1000, 0o070);
    const keel = bed.keel.run(['run', '--bundle', b.dir, nextId('cwd-userns')]);
    expect(keel.stderr).toBe('');
    expect(keel.stdout).toBe('/priv\n');
    withRunc((runc) => {
      const r = runc.run(['run', '--bundle', b.dir, nextId('cwd-userns-runc')]);
      expect([r.code, r.stdout]).toEqual([0, keel.stdout]);
    });
  });

  it('where neither may enter, it fails naming the directory', () => {
    const b = reachable(bed.bundle((s) => (inPriv(s), userns(s))));
    dir(b, '/priv', 0, 0, 0o700);
    const r = bed.keel.run(['run', '--bundle', b.dir, nextId('cwd-userns')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/change directory to "\/priv".*: permission denied/);
  });
});

describe('time namespace offsets', () => {
  const DAY = 86400;
  /** Boot time inside the container minus the host's, in seconds, from /proc/uptime. */
  const bootShift = (r: KeelResult, hostBefore: number) => Number(r.stdout.split(' ')[0]) - hostBefore;
  const hostUptime = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  const withOffsets = (s: Spec) => {
    s.linux!.namespaces = [...(s.linux!.namespaces ?? []), { type: 'time' }];
    s.linux!.timeOffsets = { boottime: { secs: DAY }, monotonic: { secs: 1000 } };
    s.process!.args = ['cat', '/proc/uptime'];
  };
  const expectShifted = (r: KeelResult, before: number) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const shift = bootShift(r, before);
    expect(shift).toBeGreaterThanOrEqual(DAY);
    expect(shift).toBeLessThan(DAY + 10);
  };

  it('apply without a user namespace', () => {
    const b = bed.bundle(withOffsets);
    const before = hostUptime();
    expectShifted(bed.keel.run(['run', '--bundle', b.dir, nextId('timens')]), before);
  });

  // As `unshare --user --map-root-user --time --boottime 86400` does on this host.
  it('apply in a new user namespace', () => {
    const b = reachable(bed.bundle((s) => (withOffsets(s), userns(s))));
    const before = hostUptime();
    expectShifted(bed.keel.run(['run', '--bundle', b.dir, nextId('timens-userns')]), before);
  });

  it('apply in a joined user namespace', async () => {
    const { holder, nsPath } = await holdUserNamespace('allow');
    try {
      const b = reachable(
        bed.bundle((s) => {
          withOffsets(s);
          s.linux!.namespaces = [...s.linux!.namespaces!, { type: 'user', path: nsPath }];
        }),
      );
      const before = hostUptime();
      expectShifted(bed.keel.run(['run', '--bundle', b.dir, nextId('timens-joined')]), before);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

// Found with the time offsets: the same /proc/self that set-ids puts out of reach.
describe('oomScoreAdj in a user namespace', () => {
  it('is set, as with runc', () => {
    const b = reachable(
      bed.bundle((s) => {
        userns(s);
        s.process!.oomScoreAdj = 100;
        s.process!.args = ['cat', '/proc/self/oom_score_adj'];
      }),
    );
    const keel = bed.keel.run(['run', '--bundle', b.dir, nextId('oom-userns')]);
    expect(keel.stderr).toBe('');
    expect(keel.stdout).toBe('100\n');
    withRunc((runc) => {
      const r = runc.run(['run', '--bundle', b.dir, nextId('oom-userns-runc')]);
      expect([r.code, r.stdout]).toEqual([0, keel.stdout]);
    });
  });
});
