import { describe, expect, it } from 'vitest';

import { formatProblem } from '../../../src/spec/problem.js';
import { validateFeatures, validateState } from '../../../src/spec/validate.js';

// What `runc state` prints for a running container.
const runcState = {
  ociVersion: '1.0.2-dev',
  id: 'web',
  pid: 4422,
  status: 'running',
  bundle: '/run/containers/web',
  rootfs: '/run/containers/web/rootfs',
  created: '2024-05-01T10:00:00.123456789Z',
  owner: '',
};

const lines = (doc: unknown) => validateState(doc).map((p) => formatProblem(p, 'state'));

describe('validateState', () => {
  it('accepts runc-shaped state output', () => {
    expect(lines(runcState)).toEqual([]);
    expect(lines({ ...runcState, annotations: { 'io.kubernetes.cri.sandbox-id': 'abc' } })).toEqual([]);
  });

  it('accepts every status keel reports, pid 0 once stopped', () => {
    for (const status of ['creating', 'created', 'running', 'paused']) {
      expect(lines({ ...runcState, status })).toEqual([]);
    }
    expect(lines({ ...runcState, status: 'stopped', pid: 0 })).toEqual([]);
  });

  it('accepts the minimal state of the spec', () => {
    expect(lines({ ociVersion: '1.3.0', id: 'c1', status: 'stopped', bundle: '/b' })).toEqual([]);
  });

  it('requires a pid while created or running', () => {
    const { pid: _, ...withoutPid } = runcState;
    expect(lines(withoutPid)).toEqual(['state: missing required field "pid"']);
    expect(lines({ ...withoutPid, status: 'creating' })).toEqual([]);
  });

  it('rejects unknown statuses, relative bundles and non-string annotations', () => {
    expect(lines({ ...runcState, status: 'exited', bundle: 'web', annotations: { a: true } })).toEqual([
      'state: /status: must be one of creating, created, running, stopped, paused (got "exited")',
      'state: /bundle: must be an absolute path (got "web")',
      'state: /annotations/a: must be a string (got true)',
    ]);
  });
});

// The complete example of the runtime-spec's features.md, abridged only in its long lists.
const specExampleFeatures = {
  ociVersionMin: '1.0.0',
  ociVersionMax: '1.1.0-rc.2',
  hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
  mountOptions: ['async', 'atime', 'bind', 'rbind', 'ro', 'rw', 'tmpcopyup'],
  linux: {
    namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
    capabilities: ['CAP_CHOWN', 'CAP_KILL', 'CAP_CHECKPOINT_RESTORE'],
    cgroup: { v1: true, v2: true, systemd: true, systemdUser: true, rdma: true },
    seccomp: {
      enabled: true,
      actions: ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO'],
      operators: ['SCMP_CMP_EQ'],
      archs: ['SCMP_ARCH_X86_64'],
      knownFlags: ['SECCOMP_FILTER_FLAG_TSYNC'],
      supportedFlags: ['SECCOMP_FILTER_FLAG_TSYNC'],
    },
    apparmor: { enabled: true },
    selinux: { enabled: true },
    memoryPolicy: { modes: ['MPOL_DEFAULT', 'MPOL_BIND'], flags: ['MPOL_F_STATIC_NODES'] },
    intelRdt: { enabled: true, schemata: true, monitoring: true },
    mountExtensions: { idmap: { enabled: true } },
    netDevices: { enabled: true },
  },
  annotations: { 'org.opencontainers.runc.version': '1.1.0+dev' },
  potentiallyUnsafeConfigAnnotations: ['com.example.foo.bar', 'org.systemd.property.'],
};

describe('validateFeatures', () => {
  it("accepts the spec's example", () => {
    expect(validateFeatures(specExampleFeatures)).toEqual([]);
  });

  it('accepts null for anything but the versions', () => {
    const nulls = { ociVersionMin: '1.0.0', ociVersionMax: '1.3.0', hooks: null, linux: { cgroup: null, seccomp: { enabled: null } }, annotations: null };
    expect(validateFeatures(nulls)).toEqual([]);
  });

  it('requires both versions', () => {
    expect(validateFeatures({ ociVersionMin: '1.0', hooks: 'prestart' })).toEqual([
      { path: '', message: 'missing required field "ociVersionMax"' },
      { path: '/ociVersionMin', message: 'must be a SemVer version such as 1.2.0 (got "1.0")' },
      { path: '/hooks', message: 'must be an array or null (got "prestart")' },
    ]);
  });
});
