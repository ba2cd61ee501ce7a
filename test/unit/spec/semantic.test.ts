import { describe, expect, it } from 'vitest';

import { defaultSpec } from '../../../src/spec/default.js';
import { checkConfigSemantics } from '../../../src/spec/semantic.js';
import type { Spec } from '../../../src/spec/types.js';

function specWith(change: (s: Spec) => void): Spec {
  const spec = structuredClone(defaultSpec());
  change(spec);
  return spec;
}

const linux = (s: Spec) => s.linux!;

describe('checkConfigSemantics', () => {
  it('finds nothing wrong with the default specs', () => {
    expect(checkConfigSemantics(defaultSpec())).toEqual([]);
    expect(checkConfigSemantics(defaultSpec({ rootless: true }))).toEqual([]);
  });

  it('requires a root filesystem and a process', () => {
    const { root: _root, process: _process, ...spec } = defaultSpec();
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '', message: 'missing required field "root" (a Linux container needs a root filesystem)' },
      { path: '', message: 'missing required field "process" (keel needs a process to start)' },
    ]);
  });

  it('rejects a namespace type listed twice', () => {
    const spec = specWith((s) => linux(s).namespaces!.push({ type: 'pid', path: '/proc/1/ns/pid' }));
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/linux/namespaces/6/type', message: 'duplicate namespace type "pid" (first at /linux/namespaces/0)' },
    ]);
  });

  it('rejects an rlimit listed twice', () => {
    const spec = specWith((s) => s.process!.rlimits!.push({ type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }));
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/process/rlimits/1/type', message: 'duplicate rlimit "RLIMIT_NOFILE" (first at /process/rlimits/0)' },
    ]);
  });

  it('rejects id mappings without a user namespace', () => {
    const spec = specWith((s) => {
      linux(s).uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      linux(s).gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    });
    const message = 'user namespace mappings are set but no user namespace is requested';
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/linux/uidMappings', message },
      { path: '/linux/gidMappings', message },
    ]);
  });

  it('requires both mappings for a new user namespace, but not for a joined one', () => {
    const spec = specWith((s) => {
      linux(s).namespaces!.push({ type: 'user' });
      linux(s).uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
    });
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/linux', message: 'missing required field "gidMappings" (a new user namespace is requested)' },
    ]);
    linux(spec).namespaces!.at(-1)!.path = '/proc/42/ns/user';
    expect(checkConfigSemantics(spec)).toEqual([]);
  });

  it('requires a new time namespace for time offsets', () => {
    const spec = specWith((s) => (linux(s).timeOffsets = { monotonic: { secs: 86400 } }));
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/linux/timeOffsets', message: 'time offsets are set but no time namespace is requested' },
    ]);
    linux(spec).namespaces!.push({ type: 'time', path: '/proc/42/ns/time' });
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/linux/timeOffsets', message: 'time offsets cannot be applied to a joined time namespace' },
    ]);
    delete linux(spec).namespaces!.at(-1)!.path;
    expect(checkConfigSemantics(spec)).toEqual([]);
  });

  it('refuses to set a hostname in the host UTS namespace', () => {
    const spec = specWith((s) => {
      s.domainname = 'example.org';
      linux(s).namespaces = linux(s).namespaces!.filter((ns) => ns.type !== 'uts');
    });
    expect(checkConfigSemantics(spec)).toEqual([
      { path: '/hostname', message: 'a hostname is set but no UTS namespace is requested' },
      { path: '/domainname', message: 'a domainname is set but no UTS namespace is requested' },
    ]);
  });

  it('accepts relative mount destinations (deprecated, resolved against /)', () => {
    const spec = specWith((s) => s.mounts!.push({ destination: 'data', type: 'tmpfs', source: 'tmpfs' }));
    expect(checkConfigSemantics(spec)).toEqual([]);
  });
});
