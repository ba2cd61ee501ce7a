/** What keel tells CRIU for a dump: runc 1.1's choices (libcontainer's Checkpoint), field by field. */
import { describe, expect, it } from 'vitest';

import { dumpRequest, externalMountKeys, type DumpFacts } from '../../../src/criu/dump-request.js';
import { checkpointOptions, CLONE_NEWNET } from '../../../src/criu/options.js';
import { ReqType } from '../../../src/criu/rpc-messages.js';
import type { Spec } from '../../../src/spec/types.js';

const spec: Spec = {
  ociVersion: '1.2.0',
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'] },
    { destination: '/etc/hosts', source: '/srv/hosts', options: ['bind', 'ro'] },
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs' },
  ],
  linux: { devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }] },
};
const facts: DumpFacts = {
  pid: 4242, rootfs: '/b/rootfs', spec, imagesDirFd: 9, freezeCgroup: '/sys/fs/cgroup/keel/c1',
  maskedFiles: ['/proc/kcore'], joinedNamespaces: [{ type: 'network', inode: 4026532000 }],
};

describe('dumpRequest', () => {
  it("asks for a dump of the init, in the container's root, with runc's fixed options", () => {
    const req = dumpRequest(checkpointOptions({ 'image-path': '/i' }, '/'), facts);
    expect(req.type).toBe(ReqType.DUMP);
    expect(req.opts).toMatchObject({
      imagesDirFd: 9, pid: 4242, root: '/b/rootfs', logLevel: 4, logFile: 'dump.log', notifyScripts: true, manageCgroups: true,
      orphanPtsMaster: true, leaveRunning: false, emptyNs: CLONE_NEWNET, freezeCgroup: '/sys/fs/cgroup/keel/c1',
      external: ['net[4026532000]:extRootNetNS'],
    });
  });

  it('marks bind mounts, masked files and device paths external, and nothing CRIU can make itself', () => {
    expect(externalMountKeys(spec, facts.maskedFiles).map((m) => m.key)).toEqual(['/data', '/etc/hosts', '/proc/kcore', '/dev/fuse']);
  });

  it('a pre-dump tracks memory and leaves the mounts alone; a dump on a parent names it', () => {
    const pre = dumpRequest(checkpointOptions({ 'pre-dump': true }, '/'), facts);
    expect(pre.type).toBe(ReqType.PRE_DUMP);
    expect(pre.opts).toMatchObject({ trackMem: true, logFile: 'pre-dump.log' });
    expect((pre.opts as Record<string, unknown>).extMnt).toBeUndefined();
    const dump = dumpRequest(checkpointOptions({ 'parent-path': '../pre' }, '/'), facts);
    expect(dump.opts).toMatchObject({ parentImg: '../pre', trackMem: true });
  });

  it('passes the flags through: leave-running, tcp, unix sockets, shell job, locks, cgroup mode, page server', () => {
    const opts = checkpointOptions({ 'leave-running': true, 'tcp-established': true, 'ext-unix-sk': true, 'shell-job': true, 'file-locks': true, 'manage-cgroups-mode': 'strict', 'page-server': '192.0.2.1:27' }, '/');
    expect(dumpRequest(opts, facts).opts).toMatchObject({
      leaveRunning: true, tcpEstablished: true, extUnixSk: true, shellJob: true, fileLocks: true, manageCgroupsMode: 5, ps: { address: '192.0.2.1', port: 27 },
    });
  });
});

describe('external mounts, dump and restore', () => {
  it("name each masked file's /dev/null bind '/dev/null' at dump, which restore maps to the host's /dev/null, and a bind by its destination, mapped to its source", async () => {
    const { restoreExternalMounts } = await import('../../../src/criu/restore-request.js');
    const dumped = externalMountKeys(spec, ['/proc/kcore', '/proc/keys']);
    expect(dumped.filter((m) => m.key.startsWith('/proc/'))).toEqual([{ key: '/proc/kcore', val: '/dev/null' }, { key: '/proc/keys', val: '/dev/null' }]);
    const restored = restoreExternalMounts({ ...spec, linux: { ...spec.linux, maskedPaths: ['/proc/kcore'] } }, '/b');
    // Every name the dump gave has its host path at restore: CRIU fails "No mapping for ..." otherwise.
    for (const name of new Set(dumped.map((m) => m.val))) expect(restored.map((m) => m.key), name).toContain(name);
    expect(restored).toContainEqual({ key: '/data', val: '/srv/data' });
    expect(restored).toContainEqual({ key: '/dev/null', val: '/dev/null' });
  });
});

describe('restoreRequest', () => {
  it("asks for runc's restore: keel's child, the new cgroup as root, stdio pipes and joined namespaces inherited", async () => {
    const { restoreRequest } = await import('../../../src/criu/restore-request.js');
    const { restoreOptions } = await import('../../../src/criu/options.js');
    const req = restoreRequest(restoreOptions({ 'tcp-established': true }, '/'), {
      bundle: '/b', spec, root: '/run/keel/c2/criu-root', imagesDirFd: 9, cgroupPath: '/keel/c2',
      descriptors: ['/dev/null', 'pipe:[4711]', 'pipe:[4712]'], joinedNamespaces: [{ type: 'network', criuFd: 4 }],
    });
    expect(req.type).toBe(ReqType.RESTORE);
    expect(req.opts).toMatchObject({
      imagesDirFd: 9, rstSibling: true, root: '/run/keel/c2/criu-root', logFile: 'restore.log', evasiveDevices: true, manageCgroups: true,
      tcpEstablished: true, emptyNs: CLONE_NEWNET, cgRoot: [{ path: '/keel/c2' }],
      inheritFd: [{ key: 'pipe:[4711]', fd: 1 }, { key: 'pipe:[4712]', fd: 2 }, { key: 'extRootNetNS', fd: 4 }],
    });
  });
});
