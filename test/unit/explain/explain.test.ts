import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

import { formatExplanation, splitPhases, type Explanation } from '../../../src/explain/explain.js';
import { formatValidation, validateBundle } from '../../../src/explain/validate.js';
import { compilePlan } from '../../../src/plan/compile.js';
import { defaultSpec } from '../../../src/spec/default.js';
import type { Spec } from '../../../src/spec/types.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function bundle(edit: (s: Spec) => void = () => {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-validate-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'rootfs'));
  const spec = defaultSpec();
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

const HOST = { cgroups: { mode: 'v2' as const, root: '/sys/fs/cgroup', v1: [] }, rootfsIsRamfs: false, kindOf: () => 'dir' as const, rlimitCeiling: () => undefined };

describe('keel explain', () => {
  it('splits the plan into namespaces, container, process and exec, in order', () => {
    const { ops } = compilePlan({ id: 'x', spec: defaultSpec(), bundle: '/b', rootfs: '/b/rootfs', cgroupPath: '/keel/x', host: HOST, fifoFd: 4, preserveFds: 0 });
    const phases = splitPhases(ops);
    const runs = phases.filter((p, i) => p !== phases[i - 1]);
    expect(runs).toEqual(['namespaces', 'container', 'process', 'exec']);
    // The container's init first leaves the caller's session keyring, then makes its mounts.
    expect(ops[phases.indexOf('container')]!.name).toBe('session-keyring');
    expect(ops[phases.indexOf('container') + 1]!.name).toBe('prepare-rootfs');
    expect(ops[phases.lastIndexOf('container')]!.what).toBe('remount "/" ro');
    expect(ops[phases.indexOf('exec')]!.name).toBe('resolve-exec');
  });

  it('says each step of issue #16 in its own words, in its phase', () => {
    const spec = defaultSpec();
    spec.mounts!.push({ destination: '/data', source: '/srv', type: 'bind', options: ['rbind', 'rro'] }, { destination: '/ids', source: '/srv', type: 'bind', options: ['bind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }] });
    spec.linux!.netDevices = { eth9: { name: 'c0' } };
    spec.linux!.memoryPolicy = { mode: 'MPOL_BIND', nodes: '0' };
    const { ops } = compilePlan({ id: 'x', spec, bundle: '/b', rootfs: '/b/rootfs', cgroupPath: '/keel/x', host: { ...HOST, memoryNodes: [0] }, fifoFd: 4, preserveFds: 0 });
    const phases = splitPhases(ops);
    const said = (name: string) => ops.map((o, i) => [phases[i], o] as const).filter(([, o]) => o.name === name).map(([phase, o]) => `${phase}: ${o.what}`);
    expect(said('idmap-prepare')).toEqual(['namespaces: make an id-mapped copy of "/srv" for "/ids" (uids 0 1000 1; gids 0 1000 1)']);
    expect(said('mount-idmapped')).toEqual(['container: mount the id-mapped copy of "/srv" on "/ids" (bind)']);
    expect(said('mount-setattr')).toEqual(['container: apply rro to "/data" and every mount below it']);
    expect(said('netlink-host')).toEqual(["namespaces: open a netlink socket in the host's network namespace, to move the network devices with"]);
    expect(said('net-device')).toEqual([`namespaces: move the host's network interface "eth9" into the container's network namespace as "c0", with its permanent global addresses, and set it up`]);
    expect(said('memory-policy')).toEqual(['process: set the NUMA memory policy to MPOL_BIND on node 0 (linux.memoryPolicy)']);
    expect(said('session-keyring')).toEqual([`container: join a new session keyring "_ses.x", so that the caller's keys stay out of reach`]);
  });

  it('explains a user-namespace config op by op: maps before root, devices bound from the host', () => {
    const spec = defaultSpec();
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const { ops } = compilePlan({ id: 'x', spec, bundle: '/b', rootfs: '/b/rootfs', cgroupPath: '/keel/x', host: HOST, fifoFd: 4, preserveFds: 0 });
    expect(ops.slice(0, 7).map((o) => o.what)).toEqual([
      'wait for keel to place the container in its cgroups',
      'create new user namespace',
      'wait for keel to write the uid and gid mappings',
      'create new ipc, uts, network, pid, cgroup, mount namespaces',
      'set the loopback interface "lo" of the new network namespace up',
      'become uid 0, gid 0 in the new user namespace',
      'start the container init as PID 1 of the new PID namespace',
    ]);
    // mknod is not allowed in a user namespace: the default devices are bind-mounted from the host.
    expect(ops.filter((o) => o.name === 'mknod')).toEqual([]);
    expect(ops.find((o) => o.args.destination === '/dev/null')?.what).toBe('mount bind "/dev/null" on "/dev/null" (bind)');
  });

  it('prints a numbered checklist with the exec environment', () => {
    const e: Explanation = {
      bundle: '/b',
      rootfs: '/b/rootfs',
      cgroupMode: 'v2',
      cgroup: { path: '/keel/x', writes: [{ controller: 'pids', file: 'pids.max', value: '10', field: '/linux/resources/pids/limit' }] },
      phases: [
        { name: 'namespaces', steps: [{ op: 'unshare', what: 'create new pid namespace', args: {} }] },
        { name: 'exec', steps: [{ op: 'exec', what: 'exec "sh" with arguments ["sh"]', args: { env: ['PATH=/bin'] } }] },
      ],
      warnings: ['w'],
      notes: [],
    };
    expect(formatExplanation(e)).toBe(
      'bundle /b\nroot filesystem /b/rootfs\ncgroup /keel/x (v2)\n  write "10" to pids.max\n\nnamespaces:\n    1. create new pid namespace\n\nexec:\n    2. exec "sh" with arguments ["sh"]\n       env PATH=/bin\n\nwarning: w\n',
    );
  });
});

describe('keel validate', () => {
  it('accepts the default spec', () => {
    const report = validateBundle(bundle());
    expect(report.errors).toEqual([]);
  });

  it('reports every problem of a config with several faults, each with its JSON path', () => {
    const report = validateBundle(
      bundle((s) => {
        s.root!.path = 'missing-rootfs';
        s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 10, hard: 5 }];
        s.linux!.namespaces!.push({ type: 'pid' });
      }),
    );
    expect(report.errors.map((e) => e.path)).toEqual(['/linux/namespaces/6/type', '/root/path', '/process/rlimits/0']);
    expect(formatValidation(report)).toMatch(/: 3 errors, \d+ warnings?: keel create would refuse it\n$/);
  });

  it('goes on to the plan when the files are fine, collecting the compiler problems too', () => {
    const report = validateBundle(
      bundle((s) => {
        s.process!.rlimits = [{ type: 'RLIMIT_CPU', soft: 10, hard: 5 }];
        s.mounts!.push({ destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind'] });
        s.hooks = { prestart: [{ path: '/bin/true' }] };
      }),
    );
    expect(report.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      expect.stringMatching(/^\/mounts\/\d+\/source: bind mount source "\/no\/such\/source" does not exist$/),
      '/process/rlimits/0: soft limit 10 is above the hard limit 5',
    ]);
    expect(report.warnings).toContain('/hooks/prestart: prestart hooks are deprecated; use createRuntime hooks');
  });

  it('reports the schema problems and those of the parts that passed the schema, in one list, each at its path in config.json', () => {
    const report = validateBundle(
      bundle((s) => {
        const doc = s as unknown as Record<string, any>;
        doc.process.args = [];
        doc.mounts[0].destination = 7;
        doc.hostname = ['not', 'a', 'string'];
        doc.linux.namespaces.unshift({ type: 'bogus' });
        s.linux!.namespaces!.push({ type: 'pid' });
        s.process!.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }, { type: 'RLIMIT_CPU', soft: 10, hard: 5 }];
        s.mounts!.push({ destination: '/x', type: 'bind', source: '/no/such/source', options: ['bind'] });
        s.linux!.sysctl = { 'kernel.core_pattern': '|/x', 'vm.swappiness': '1' };
        s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
      }),
    );
    const last = defaultSpec().mounts!.length;
    expect(report.errors.map((e) => `${e.path}: ${e.message}`)).toEqual([
      // The schema's, as before.
      '/mounts/0/destination: must be a non-empty string (got 7)',
      '/process/args: must be a non-empty array',
      '/hostname: must be a string (got an array)',
      '/linux/namespaces/0/type: must be one of pid, network, mount, ipc, uts, user, cgroup, time (got "bogus")',
      // The semantic checks', at the indices of the original arrays (namespaces/0 and mounts/0 were taken out).
      '/linux/namespaces/7/type: duplicate namespace type "pid" (first at /linux/namespaces/1)',
      '/linux/uidMappings: user namespace mappings are set but no user namespace is requested',
      // The compiler's; nothing about the values the schema refused, nor the ["sh"] put in for process.args.
      `/mounts/${last}/source: bind mount source "/no/such/source" does not exist`,
      '/linux/sysctl/kernel.core_pattern: not confined to a namespace of the container: setting it would change the host',
      '/linux/sysctl/vm.swappiness: not confined to a namespace of the container: setting it would change the host',
      expect.stringMatching(/^\/process\/rlimits\/0\/type: unknown rlimit "RLIMIT_BOGUS"/),
      '/process/rlimits/1: soft limit 10 is above the hard limit 5',
    ]);
  });

  it("reports nothing more where nothing of the config passed the schema's shape", () => {
    const dir = bundle();
    writeFileSync(join(dir, 'config.json'), '[1, 2]');
    expect(validateBundle(dir).errors.map((e) => e.path)).toEqual(['']);
  });
});
