/** What `keel explain` says a bundle mounts is what the running container has mounted. */
import { describe, expect, it } from 'vitest';

import { makeBundle } from '../helpers/bundle.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;

interface Step {
  op: string;
  args: { destination?: string; path?: string };
}

describe('keel explain', () => {
  it.each([
    ['the default spec', () => {}],
    [
      'a podman-like config with binds and tmpfs',
      (s: import('../../src/spec/types.js').Spec) => {
        s.mounts!.push(
          { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=755'] },
          { destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rbind', 'ro'] },
          { destination: '/data', type: 'bind', source: '/usr/share', options: ['rbind', 'ro', 'nosuid'] },
        );
      },
    ],
  ])('lists exactly the mounts of a running container for %s', (_name, edit) => {
    const b = makeBundle((s) => {
      s.process!.args = ['cat', '/proc/self/mountinfo'];
      edit(s);
    });
    bundles.push(b);
    const steps = (JSON.parse(bed.keel.ok(['explain', '--format', 'json', '--bundle', b.dir])).phases as { steps: Step[] }[]).flatMap((p) => p.steps);
    const mounted = bed.keel
      .ok(['run', '--bundle', b.dir, `explain-${bundles.length}`])
      .trim()
      .split('\n')
      .map((line) => line.split(' ')[4]!)
      .filter((point) => point !== '/');

    // Every mount op, in order, is a mount point in the container...
    const mountOps = steps.filter((s) => s.op === 'mount').map((s) => s.args.destination!);
    expect(mounted.filter((m) => mountOps.includes(m))).toEqual(mountOps);
    // ...and every other mount point comes from a masked or read-only path explain lists.
    const pathOps = steps.filter((s) => s.op === 'mask' || s.op === 'readonly').map((s) => s.args.path!);
    expect(mounted.filter((m) => !mountOps.includes(m)).every((m) => pathOps.includes(m))).toBe(true);
  });

  it('validate exits 1 and lists each fault; 0 for a good bundle', () => {
    const good = makeBundle();
    const bad = makeBundle((s) => {
      s.root!.path = 'nope';
      s.process!.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1048576 }];
    });
    bundles.push(good, bad);
    expect(bed.keel.run(['validate', '--bundle', good.dir])).toMatchObject({ code: 0, stdout: `${good.dir}/config.json: valid\n` });
    const r = bed.keel.run(['validate', '--bundle', bad.dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error: /root/path: root filesystem "${bad.dir}/nope" does not exist`);
    expect(r.stdout).toContain("error: /process/rlimits/0/hard: RLIMIT_NOFILE hard limit 1048576 is above this host's 20000");
  });

  it("validate lists schema faults and the rest's together (issue 14: process.args [], mounts[0].destination 7, RLIMIT_BOGUS)", () => {
    const b = makeBundle((s) => {
      (s.process as unknown as { args: unknown[] }).args = [];
      (s.mounts![0] as unknown as { destination: unknown }).destination = 7;
      s.process!.rlimits = [{ type: 'RLIMIT_BOGUS', soft: 1, hard: 1 }];
    });
    bundles.push(b);
    const r = bed.keel.run(['validate', '--format', 'json', '--bundle', b.dir]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual(['/mounts/0/destination', '/process/args', '/process/rlimits/0/type']);
    // create still stops at the first, and points to validate for the rest.
    expect(bed.keel.run(['create', '--bundle', b.dir, 'issue14'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/\/mounts\/0\/destination: must be a non-empty string \(got 7\) \(and \d+ more problems?: run "keel validate/) });
    expect(bed.keel.containers()).toEqual([]);
  });
  it("lists each device cgroup write once for keel spec's rules (a deny-all of their own), as runc writes them", () => {
    const b = makeBundle((s) => (s.process!.args = ['true']));
    bundles.push(b);
    expect(b.spec.linux!.resources!.devices).toEqual([{ allow: false, access: 'rwm' }]);
    const explained = JSON.parse(bed.keel.ok(['explain', '--format', 'json', '--bundle', b.dir])) as { cgroupMode: string; cgroup: { writes: { file: string; value: string }[] } };
    const deviceWrites = explained.cgroup.writes.filter((w) => w.file.startsWith('devices.')).map((w) => `${w.file}=${w.value}`);
    if (explained.cgroupMode === 'v2') {
      expect(deviceWrites).toEqual([]); // a BPF program instead
    } else {
      // runc 1.1.5 on this host (strace of runc run): one deny-all, then one allow per rule.
      expect(deviceWrites.filter((w) => w.startsWith('devices.deny='))).toEqual(['devices.deny=a']);
      expect(new Set(deviceWrites).size).toBe(deviceWrites.length);
    }
    // The text form says the same.
    const text = bed.keel.ok(['explain', '--bundle', b.dir]);
    expect(text.split('\n').filter((l) => l.includes('to devices.deny'))).toHaveLength(explained.cgroupMode === 'v2' ? 0 : 1);
  });
});
