import { describe, expect, it } from 'vitest';

import { defaultSpec } from '../../../src/spec/default.js';
import { configPartThatPassed, validateConfig } from '../../../src/spec/validate.js';

/** The default spec as a plain document, edited. */
function doc(edit: (d: Record<string, any>) => void): Record<string, any> {
  const d = JSON.parse(JSON.stringify(defaultSpec())) as Record<string, any>;
  edit(d);
  return d;
}

describe('configPartThatPassed', () => {
  it('takes out what the schema refused, array elements whole, and what is left passes', () => {
    const d = doc((d) => {
      d.mounts[0].destination = 7;
      d.mounts[2].options = 'nosuid';
      d.linux.sysctl = { 'net.a/b': 5, 'net.ok': '1' };
    });
    const part = configPartThatPassed(d)!;
    expect(validateConfig(part.spec)).toEqual([]);
    expect(part.spec.mounts).toHaveLength(d.mounts.length - 1);
    expect(part.spec.mounts![0]!.destination).toBe(d.mounts[1].destination);
    expect(part.spec.mounts![1]!.options).toBeUndefined();
    expect(part.spec.linux!.sysctl).toEqual({ 'net.ok': '1' });
  });

  it('locates problems in what is left at their paths in the original, pointers in messages too', () => {
    const d = doc((d) => {
      d.mounts[0].destination = 7;
      d.linux.namespaces.unshift({ type: 'bogus' }, { type: 'alsobogus' });
    });
    const part = configPartThatPassed(d)!;
    expect(part.locate({ path: '/mounts/1/source', message: 'x' })).toEqual({ path: '/mounts/2/source', message: 'x' });
    expect(part.locate({ path: '/linux/namespaces/3/type', message: 'duplicate (first at /linux/namespaces/0)' })).toEqual({
      path: '/linux/namespaces/5/type',
      message: 'duplicate (first at /linux/namespaces/2)',
    });
    expect(part.locate({ path: '/process/args', message: 'y' })).toEqual({ path: '/process/args', message: 'y' });
  });

  it("gives a required field keel's default so that the rest of its object is checked, and drops problems about it", () => {
    const d = doc((d) => {
      d.process.args = [];
      delete d.process.cwd;
      d.process.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }];
    });
    const part = configPartThatPassed(d)!;
    expect(part.spec.process!.args).toEqual(defaultSpec().process!.args);
    expect(part.spec.process!.cwd).toBe('/');
    expect(part.spec.process!.rlimits).toEqual(d.process.rlimits);
    expect(part.locate({ path: '/process/args', message: 'executable "sh" not found' })).toBeUndefined();
    expect(part.locate({ path: '/process/cwd', message: 'z' })).toBeUndefined();
    expect(part.locate({ path: '/process/rlimits/0/type', message: 'unknown' })).toEqual({ path: '/process/rlimits/0/type', message: 'unknown' });
  });

  it('takes out an object missing a field keel has no default for, and drops "missing required field" about what it took out', () => {
    const d = doc((d) => (d.linux.seccomp = { architectures: ['SCMP_ARCH_X86_64'] }));
    const part = configPartThatPassed(d)!;
    expect(part.spec.linux!.seccomp).toBeUndefined();
    expect(part.locate({ path: '/linux', message: 'missing required field "seccomp"' })).toBeUndefined();
    expect(part.locate({ path: '/linux/seccomp/architectures', message: 'w' })).toBeUndefined();
  });

  it('has nothing to offer for a document that is not an object', () => {
    expect(configPartThatPassed([1, 2])).toBeUndefined();
    expect(configPartThatPassed('config')).toBeUndefined();
  });
});
