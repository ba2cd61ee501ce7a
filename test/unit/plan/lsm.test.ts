import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { planExecLabels, planMountLabel, type LsmFacts } from '../../../src/plan/lsm.js';
import { throwProblem } from '../../../src/spec/problem.js';
import type { Spec } from '../../../src/spec/types.js';
import { planInput } from '../../helpers/plan.js';
import { collectProblems } from '../../helpers/problems.js';

const NONE: LsmFacts = { apparmor: false, selinux: false };
const APPARMOR: LsmFacts = { apparmor: true, selinux: false, apparmorExecAttr: '/proc/self/attr/apparmor/exec' };
const SELINUX: LsmFacts = { apparmor: false, selinux: true };

describe('security labels where the host runs the module', () => {
  it('AppArmor: "exec <profile>" written to the exec attribute', () => {
    expect(planExecLabels({ apparmorProfile: 'docker-default' }, APPARMOR, throwProblem)).toEqual([{ path: '/proc/self/attr/apparmor/exec', content: 'exec docker-default', why: expect.any(String) }]);
    // an older kernel: the shared attribute
    expect(planExecLabels({ apparmorProfile: 'p' }, { ...APPARMOR, apparmorExecAttr: '/proc/self/attr/exec' }, throwProblem)[0]!.path).toBe('/proc/self/attr/exec');
  });

  it('SELinux: the label written to /proc/self/attr/exec, the mount label as tmpfs context', () => {
    expect(planExecLabels({ selinuxLabel: 'system_u:system_r:container_t:s0' }, SELINUX, throwProblem)).toEqual([{ path: '/proc/self/attr/exec', content: 'system_u:system_r:container_t:s0', why: expect.any(String) }]);
    expect(planMountLabel('system_u:object_r:container_file_t:s0', SELINUX, throwProblem)).toBe('context="system_u:object_r:container_file_t:s0"');
  });

  it('nothing to do without the fields', () => {
    expect(planExecLabels({}, APPARMOR, throwProblem)).toEqual([]);
    expect(planMountLabel(undefined, NONE, throwProblem)).toBeUndefined();
  });
});

describe('security labels where the host does not run the module: refused, as runc does', () => {
  it('names each field and says what to do', () => {
    expect(collectProblems((r) => planExecLabels({ apparmorProfile: 'p', selinuxLabel: 'l' }, NONE, r))).toEqual([
      '/process/apparmorProfile: AppArmor is not enabled on this host, so the profile "p" cannot confine the program: remove the field (runc refuses it too)',
      '/process/selinuxLabel: SELinux is not enabled on this host, so the label "l" cannot apply: remove the field (runc refuses it too)',
    ]);
    expect(collectProblems((r) => planMountLabel('m', APPARMOR, r))).toEqual(['/linux/mountLabel: SELinux is not enabled on this host, so the mount label "m" cannot apply: remove the field (runc fails on it too)']);
    // AppArmor's presence does not make a SELinux label acceptable, nor the reverse
    expect(collectProblems((r) => planExecLabels({ selinuxLabel: 'l' }, APPARMOR, r))).toHaveLength(1);
    expect(collectProblems((r) => planExecLabels({ apparmorProfile: 'p' }, SELINUX, r))).toHaveLength(1);
  });
});

describe('in the plan', () => {
  function plan(edit: (s: Spec) => void, lsm: LsmFacts) {
    return compilePlan(
      planInput((spec) => {
        spec.process!.noNewPrivileges = true;
        edit(spec);
      }, { lsm }),
    ).ops;
  }

  it('writes the profile after start is awaited, right before the last privilege steps and exec', () => {
    const ops = plan((s) => (s.process!.apparmorProfile = 'docker-default'), APPARMOR);
    const names = ops.map((o) => o.name);
    const at = names.findIndex((n, i) => n === 'write-file' && ops[i]!.args.path === '/proc/self/attr/apparmor/exec');
    expect(at).toBe(names.indexOf('wait-start') + 1);
    expect(names.slice(at + 1)).toEqual(['prepare-exec', 'capabilities', 'no-new-privileges', 'exec']);
  });

  it('gives the tmpfs mounts (/dev among them) the mount label, and no other mount', () => {
    const ops = plan((s) => (s.linux!.mountLabel = 'x_t'), SELINUX).filter((o) => o.name === 'mount');
    const dev = ops.find((o) => o.args.destination === '/dev')!;
    expect(dev.args.data).toMatch(/,context="x_t"$/);
    expect(ops.filter((o) => String(o.args.data).includes('context=')).every((o) => o.args.type === 'tmpfs')).toBe(true);
  });

  it('refuses the fields on a host without the modules', () => {
    expect(() => plan((s) => (s.process!.apparmorProfile = 'p'), NONE)).toThrow('config.json: /process/apparmorProfile: AppArmor is not enabled on this host');
    expect(() => plan((s) => (s.linux!.mountLabel = 'x_t'), NONE)).toThrow('config.json: /linux/mountLabel');
  });
});
