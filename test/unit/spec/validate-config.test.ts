import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { defaultSpec } from '../../../src/spec/default.js';
import { formatProblem } from '../../../src/spec/problem.js';
import { validateConfig } from '../../../src/spec/validate.js';
import { SPEC_VERSION } from '../../../src/spec/version.js';

const podmanConfig = (): Record<string, any> =>
  JSON.parse(readFileSync(new URL('./fixtures/podman-config.json', import.meta.url), 'utf8'));

/** The default spec with `change` applied to a deep copy. */
function configWith(change: (c: any) => void): unknown {
  const config = structuredClone(defaultSpec()) as any;
  change(config);
  return config;
}

const lines = (doc: unknown) => validateConfig(doc).map((p) => formatProblem(p));

describe('validateConfig accepts', () => {
  it('the default and rootless default specs', () => {
    expect(validateConfig(defaultSpec())).toEqual([]);
    expect(validateConfig(defaultSpec({ rootless: true }))).toEqual([]);
  });

  it('a podman-generated config', () => {
    expect(lines(podmanConfig())).toEqual([]);
  });

  it('unknown fields anywhere, as the spec requires', () => {
    const config = configWith((c) => {
      c.futureTopLevel = { anything: [1, 2] };
      c.process.futureField = true;
      c.mounts[0].futureField = 'x';
      c.linux.resources.futureController = { knob: 1 };
      c.linux.namespaces[0].futureField = null;
      c.windows = { layerFolders: ['C:\\layers'] };
      c.vm = { hypervisor: { path: '/usr/bin/qemu' } };
    });
    expect(lines(config)).toEqual([]);
  });

  it('any string annotations, empty values included', () => {
    const config = configWith((c) => {
      c.annotations = { 'com.example/key': 'value', 'org.opencontainers.image.stopSignal': '', '': 'x' };
    });
    expect(lines(config)).toEqual([]);
  });

  it('a FIFO device without device numbers', () => {
    const config = configWith((c) => {
      c.linux.devices = [{ type: 'p', path: '/dev/fifo' }];
    });
    expect(lines(config)).toEqual([]);
  });

  it('every integer at the edge of its range', () => {
    const config = configWith((c) => {
      c.process.user = { uid: 4294967295, gid: 0 };
      c.process.oomScoreAdj = -1000;
      c.linux.resources.memory = { limit: -1, swappiness: 100 };
      c.linux.resources.blockIO = { weight: 65535 };
    });
    expect(lines(config)).toEqual([]);
  });
});

describe('ociVersion', () => {
  const accepted = ['1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.2.0', '1.3.0', '1.3.7', '1.3.0+dev', SPEC_VERSION];
  const rejected = ['2.0.0', '0.9', '0.9.0', '1.4.0', '1.0', 'v1.0.0', '1.3.0.1', '01.0.0', ''];

  it.each(accepted)('accepts %s', (version) => {
    expect(lines({ ...defaultSpec(), ociVersion: version })).toEqual([]);
  });

  it.each(rejected)('rejects %j', (version) => {
    expect(lines({ ...defaultSpec(), ociVersion: version })).toEqual([
      `config.json: /ociVersion: unsupported version ${JSON.stringify(version)}: keel supports 1.0.0 to 1.3.x`,
    ]);
  });

  it('is required', () => {
    const { ociVersion: _, ...config } = defaultSpec();
    expect(lines(config)).toEqual(['config.json: missing required field "ociVersion"']);
  });
});

describe('validateConfig explains each fault in one line', () => {
  const cases: [string, (c: any) => void, string[]][] = [
    ['empty args', (c) => (c.process.args = []), ['/process/args: must be a non-empty array']],
    [
      'fractional negative gid',
      (c) => (c.process.user.gid = -1.5),
      ['/process/user/gid: must be an integer from 0 to 4294967295 (got -1.5)'],
    ],
    [
      'args not strings',
      (c) => (c.process.args = ['sh', 1]),
      ['/process/args/1: must be a string (got 1)'],
    ],
    ['missing cwd', (c) => delete c.process.cwd, ['/process: missing required field "cwd"']],
    ['relative cwd', (c) => (c.process.cwd = 'tmp'), ['/process/cwd: must be an absolute path (got "tmp")']],
    [
      'unknown namespace type',
      (c) => (c.linux.namespaces[0].type = 'pidd'),
      ['/linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time (got "pidd")'],
    ],
    [
      'negative uid',
      (c) => (c.process.user.uid = -1),
      ['/process/user/uid: must be an integer from 0 to 4294967295 (got -1)'],
    ],
    ['user without gid', (c) => delete c.process.user.gid, ['/process/user: missing required field "gid"']],
    ['mount without destination', (c) => delete c.mounts[1].destination, ['/mounts/1: missing required field "destination"']],
    [
      'boolean as a string',
      (c) => (c.process.terminal = 'true'),
      ['/process/terminal: must be a boolean (got "true")'],
    ],
    [
      'rlimit name',
      (c) => (c.process.rlimits[0].type = 'NOFILE'),
      ['/process/rlimits/0/type: must be an RLIMIT_* resource name such as RLIMIT_NOFILE (got "NOFILE")'],
    ],
    [
      'oomScoreAdj out of range',
      (c) => (c.process.oomScoreAdj = 1001),
      ['/process/oomScoreAdj: must be at most 1000 (got 1001)'],
    ],
    [
      'annotation that is not a string',
      (c) => (c.annotations = { 'com.example/gpus': 2 }),
      ['/annotations/com.example~1gpus: must be a string (got 2)'],
    ],
    [
      'device type',
      (c) => (c.linux.devices = [{ type: 'x', path: '/dev/x', major: 1, minor: 1 }]),
      ['/linux/devices/0/type: must be one of c, b, u, p (got "x")'],
    ],
    [
      'char device without numbers',
      (c) => (c.linux.devices = [{ type: 'c', path: '/dev/fuse' }]),
      ['/linux/devices/0: missing required field "major"', '/linux/devices/0: missing required field "minor"'],
    ],
    [
      'memory limit as a string',
      (c) => (c.linux.resources.memory = { limit: '1G' }),
      ['/linux/resources/memory/limit: must be a 64-bit signed integer (got "1G")'],
    ],
    [
      'block IO weight device without a weight',
      (c) => (c.linux.resources.blockIO = { weightDevice: [{ major: 8, minor: 0 }] }),
      ['/linux/resources/blockIO/weightDevice/0: must set at least one of "weight", "leafWeight"'],
    ],
    [
      'seccomp action',
      (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_DENY' }),
      [
        '/linux/seccomp/defaultAction: must be one of SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, ' +
          'SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY (got "SCMP_ACT_DENY")',
      ],
    ],
    [
      'seccomp argument operator',
      (c) =>
        (c.linux.seccomp = {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'EQ' }] }],
        }),
      [
        '/linux/seccomp/syscalls/0/args/0/op: must be one of SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, ' +
          'SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ (got "EQ")',
      ],
    ],
    [
      'seccomp listener metadata without a listener',
      (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerMetadata: 'x' }),
      ['/linux/seccomp: "listenerMetadata" requires "listenerPath" to be set too'],
    ],
    [
      'id-mapped mount with only uid mappings',
      (c) => (c.mounts[0].uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }]),
      ['/mounts/0: "uidMappings" requires "gidMappings" to be set too'],
    ],
    [
      'hook with a zero timeout',
      (c) => (c.hooks = { poststart: [{ path: '/bin/true', timeout: 0 }] }),
      ['/hooks/poststart/0/timeout: must be at least 1 (got 0)'],
    ],
    [
      // config.md: "path MUST be absolute", for every kind (startContainer's too, though it resolves in the container).
      'hooks with relative paths',
      (c) => (c.hooks = { prestart: [{ path: 'bin/true' }], startContainer: [{ path: 'true' }] }),
      ['/hooks/prestart/0/path: must be an absolute path (got "bin/true")', '/hooks/startContainer/0/path: must be an absolute path (got "true")'],
    ],
    ['root without path', (c) => (c.root = { readonly: true }), ['/root: missing required field "path"']],
    [
      'hugepage size',
      (c) => (c.linux.resources.hugepageLimits = [{ pageSize: '2M', limit: 0 }]),
      ['/linux/resources/hugepageLimits/0/pageSize: must be a page size such as 64KB, 2MB or 1GB (got "2M")'],
    ],
    [
      'rootfs propagation',
      (c) => (c.linux.rootfsPropagation = 'recursive'),
      [
        '/linux/rootfsPropagation: must be one of shared, slave, private, unbindable, rshared, rslave, rprivate, runbindable (got "recursive")',
      ],
    ],
  ];

  it.each(cases)('%s', (_name, change, expected) => {
    expect(lines(configWith(change))).toEqual(expected.map((line) => `config.json: ${line}`));
  });

  it('a document that is not an object', () => {
    expect(lines([])).toEqual(['config.json: must be an object (got an array)']);
  });

  it('long values are cut short', () => {
    const [line] = lines(configWith((c) => (c.process.cwd = `x${'y'.repeat(100)}`)));
    expect(line).toBe(`config.json: /process/cwd: must be an absolute path (got "x${'y'.repeat(39)}"...)`);
  });

  it('names the file it is given', () => {
    const [problem] = validateConfig(configWith((c) => delete c.process.cwd));
    expect(formatProblem(problem!, '/b/config.json')).toBe('/b/config.json: /process: missing required field "cwd"');
  });
});

describe('validateConfig reports every problem at once', () => {
  it('in document order, one per fault', () => {
    const config = configWith((c) => {
      c.ociVersion = '1.4.0';
      delete c.process.cwd;
      c.process.args = [];
      c.process.user.uid = 'root';
      c.linux.namespaces.push({ type: 'net' });
      c.linux.resources.pids = { limit: 1.5 };
    });
    expect(validateConfig(config)).toEqual([
      { path: '/ociVersion', message: 'unsupported version "1.4.0": keel supports 1.0.0 to 1.3.x' },
      { path: '/process', message: 'missing required field "cwd"' },
      { path: '/process/user/uid', message: 'must be an integer from 0 to 4294967295 (got "root")' },
      { path: '/process/args', message: 'must be a non-empty array' },
      {
        path: '/linux/namespaces/6/type',
        message: 'must be one of pid, network, mount, ipc, uts, user, cgroup, time (got "net")',
      },
      { path: '/linux/resources/pids/limit', message: 'must be a 64-bit signed integer (got 1.5)' },
    ]);
  });
});
