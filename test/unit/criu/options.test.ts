/** runc 1.1's checkpoint/restore flags (checkpoint.go, restore.go) become CRIU's options, or one-line refusals naming the flag. */
import { describe, expect, it } from 'vitest';

import { checkpointOptions, CLONE_NEWNET, pageServerOf, parentImageDir, restoreOptions } from '../../../src/criu/options.js';

describe('checkpointOptions', () => {
  it("takes runc's defaults: ./checkpoint under the caller's directory, the network namespace always empty", () => {
    expect(checkpointOptions({}, '/srv')).toEqual({
      imagesDir: '/srv/checkpoint', workDir: undefined, tcpEstablished: false, extUnixSk: false, shellJob: false, fileLocks: false,
      manageCgroupsMode: undefined, emptyNs: CLONE_NEWNET, autoDedup: false, lazyPages: false,
      parentImage: undefined, leaveRunning: false, preDump: false, pageServer: undefined, statusFd: undefined,
    });
  });

  it('resolves relative paths against the caller and keeps the parent relative to the images, as CRIU wants it', () => {
    const opts = checkpointOptions({ 'image-path': 'img/2', 'work-path': '/var/w', 'parent-path': '../1', 'pre-dump': true, 'status-fd': 5 }, '/srv');
    expect(opts).toMatchObject({ imagesDir: '/srv/img/2', workDir: '/var/w', parentImage: '../1', preDump: true, statusFd: 5 });
    expect(parentImageDir(opts)).toBe('/srv/img/1');
  });

  it('refuses an absolute --parent-path (runc: "--parent-path must be relative")', () => {
    expect(() => checkpointOptions({ 'parent-path': '/abs' }, '/srv')).toThrow('--parent-path /abs: must be relative to --image-path (/srv/checkpoint)');
  });

  it('takes the four cgroup modes and refuses others, naming the flag', () => {
    for (const mode of ['soft', 'full', 'strict', 'ignore']) expect(checkpointOptions({ 'manage-cgroups-mode': mode }, '/').manageCgroupsMode).toBe(mode);
    expect(() => checkpointOptions({ 'manage-cgroups-mode': 'loose' }, '/')).toThrow('--manage-cgroups-mode loose: not a mode: use soft, full, strict or ignore');
  });

  it('takes --empty-ns network (once or repeated) and refuses any other namespace, as runc 1.1', () => {
    expect(checkpointOptions({ 'empty-ns': ['network', 'network'] }, '/').emptyNs).toBe(CLONE_NEWNET);
    expect(() => checkpointOptions({ 'empty-ns': ['network', 'pid'] }, '/')).toThrow('--empty-ns pid: only "network" can be made empty');
  });

  it('reads --page-server ADDRESS:PORT, IPv6 in brackets, and refuses the rest', () => {
    expect(pageServerOf('192.0.2.1:27')).toEqual({ address: '192.0.2.1', port: 27 });
    expect(pageServerOf('[2001:db8::1]:9000')).toEqual({ address: '2001:db8::1', port: 9000 });
    for (const bad of ['192.0.2.1', ':27', '192.0.2.1:', 'host:0', 'host:70000', '2001:db8::1:9000']) {
      expect(() => pageServerOf(bad), bad).toThrow(`--page-server ${bad}: expected ADDRESS:PORT`);
    }
  });
});

describe('restoreOptions', () => {
  it('shares the common flags and checks --lsm-profile is TYPE:NAME', () => {
    expect(restoreOptions({ 'image-path': '/i', 'tcp-established': true, 'lsm-profile': 'apparmor:p' }, '/srv')).toMatchObject({ imagesDir: '/i', tcpEstablished: true, lsmProfile: 'apparmor:p' });
    expect(() => restoreOptions({ 'lsm-profile': 'apparmor' }, '/')).toThrow('--lsm-profile apparmor: expected TYPE:NAME');
  });
});
