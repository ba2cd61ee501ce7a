/**
 * keel against runc on the same configs: the security lines of /proc/self/status inside the
 * container (capability sets, no_new_privs, seccomp mode and filter count) must be identical.
 */
import { afterAll, describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const runc = new RuncRoot();
afterAll(() => runc.cleanup());

const LINES = /^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):/;
let n = 0;

function statusUnderBoth(edit: (s: Spec) => void): { keel: string; runc: string } {
  const b = bed.bundle((s) => {
    s.process!.args = ['cat', '/proc/self/status'];
    edit(s);
  });
  const id = `cmp-${process.pid}-${n++}`;
  const pick = (out: string) => out.split('\n').filter((l) => LINES.test(l)).join('\n');
  const k = bed.keel.run(['run', '--bundle', b.dir, id]);
  const r = runc.run(['run', '--bundle', b.dir, id]);
  expect(k.code, k.stderr).toBe(0);
  expect(r.code, r.stderr).toBe(0);
  return { keel: pick(k.stdout), runc: pick(r.stdout) };
}

const PROFILE: Spec['linux'] = {
  seccomp: {
    defaultAction: 'SCMP_ACT_ALLOW',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
      { names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 8, op: 'SCMP_CMP_NE' }] },
    ],
  },
};

describe('the same /proc/self/status security lines as runc', () => {
  it('root with chosen capabilities, no_new_privs and a seccomp profile', () => {
    const { keel, runc: theirs } = statusUnderBoth((s) => {
      s.process!.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID'],
        effective: ['CAP_CHOWN', 'CAP_KILL'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        ambient: ['CAP_KILL'],
      };
      s.process!.noNewPrivileges = true;
      s.linux!.seccomp = PROFILE.seccomp;
    });
    expect(keel).toMatch(/NoNewPrivs:\t1\nSeccomp:\t2/);
    expect(keel).toBe(theirs);
  });

  it('a non-root user with ambient capabilities, seccomp without no_new_privs', () => {
    const { keel, runc: theirs } = statusUnderBoth((s) => {
      s.process!.user = { uid: 1000, gid: 1000 };
      s.process!.capabilities = {
        bounding: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        effective: ['CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        inheritable: ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'],
        ambient: ['CAP_NET_BIND_SERVICE'],
      };
      s.process!.noNewPrivileges = false;
      s.linux!.seccomp = PROFILE.seccomp;
    });
    expect(keel).toMatch(/CapAmb:\t0000000000000400/);
    expect(keel).toBe(theirs);
  });

  it("the default spec's capabilities and no seccomp", () => {
    const { keel, runc: theirs } = statusUnderBoth(() => {});
    expect(keel).toMatch(/Seccomp:\t0/);
    expect(keel).toBe(theirs);
  });
});
