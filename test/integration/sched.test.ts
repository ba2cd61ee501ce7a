/** process.scheduler, process.ioPriority and linux.personality, seen from inside real containers. */
import { describe, expect, it } from 'vitest';

import type { Spec } from '../../src/spec/types.js';
import { rtGroupScheduling } from '../helpers/host-features.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
let n = 0;

function run(edit: (s: Spec) => void, script: string) {
  const b = bed.bundle((s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  return bed.keel.run(['run', '--bundle', b.dir, `sched-${process.pid}-${n++}`]);
}

/** Fields 18 (priority), 19 (nice) and 41 (policy) of /proc/self/stat; the comm field may hold spaces. */
const STAT_FIELDS = `sed 's/.*) //' /proc/self/stat | cut -d' ' -f16,17,39`;

describe('process.scheduler', () => {
  it('SCHED_BATCH with a nice value: policy 3 and that nice in /proc/self/stat', () => {
    const r = run((s) => (s.process!.scheduler = { policy: 'SCHED_BATCH', nice: 7 }), STAT_FIELDS);
    expect(r.stderr).toBe('');
    // priority = 20 + nice for normal policies
    expect(r.stdout).toBe('27 7 3\n');
  });

  // With RT group scheduling (cgroup v1 cpu) a cgroup gets no realtime time unless given some, and
  // no more than its parent has: a cgroup right under the root, as runc would need too. Kernels
  // without it let any cgroup run realtime tasks, and have no file to give the time in.
  const rtGroups = rtGroupScheduling();
  const rt = (s: Spec) => {
    s.linux!.resources = { cpu: { realtimeRuntime: 10000, realtimePeriod: 1000000 } };
    s.linux!.cgroupsPath = `/keel-sched-${process.pid}`;
  };

  it(`SCHED_FIFO with a priority, given although the container has no CAP_SYS_NICE${rtGroups ? ', in a cgroup given realtime time' : '; realtime cpu limits refused (no RT group scheduling here)'}`, () => {
    if (!rtGroups) {
      const refused = run(rt, 'echo ran');
      expect(refused).toMatchObject({ code: 1, stdout: '' });
      expect(refused.stderr).toMatch(/^keel: config\.json: \/linux\/resources\/cpu\/realtime(Period|Runtime): this host's kernel provides no cpu\.rt_/);
    }
    const r = run((s) => {
      s.process!.scheduler = { policy: 'SCHED_FIFO', priority: 10 };
      if (rtGroups) rt(s);
    }, `${STAT_FIELDS}; grep CapEff /proc/self/status`);
    expect(r.code).toBe(0);
    const [fields, capEff] = r.stdout.trim().split('\n');
    // priority = -1 - rt_priority for realtime policies
    expect(fields).toBe('-11 0 1');
    expect(BigInt('0x' + capEff!.split(/\s+/)[1]!) & (1n << 23n)).toBe(0n);
  });

  it('a bad value is refused before anything runs, naming the field', () => {
    const r = run((s) => (s.process!.scheduler = { policy: 'SCHED_OTHER', nice: 40 }), 'true');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('/process/scheduler/nice: 40 is out of range');
  });
});

describe('process.ioPriority', () => {
  it('the class and level ionice reports', () => {
    const r = run((s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 }), 'ionice -p $$');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('best-effort: prio 6\n');
  });

  it('IOPRIO_CLASS_IDLE', () => {
    const r = run((s) => (s.process!.ioPriority = { class: 'IOPRIO_CLASS_IDLE', priority: 0 }), 'ionice -p $$');
    expect(r.stdout).toBe('idle\n');
  });
});

describe('linux.personality', () => {
  it('LINUX32 makes uname -m say i686, also for keel exec', () => {
    const r = run((s) => (s.linux!.personality = { domain: 'LINUX32' }), 'uname -m');
    expect(r.stdout).toBe('i686\n');
    const plain = run(() => {}, 'uname -m');
    expect(plain.stdout).toBe('x86_64\n');

    const id = `sched-exec-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['sleep', '100'];
      s.linux!.personality = { domain: 'LINUX32' };
    });
    bed.keel.ok(['run', '--detach', '--bundle', b.dir, id]);
    try {
      expect(bed.keel.ok(['exec', id, 'uname', '-m'])).toBe('i686\n');
    } finally {
      bed.keel.run(['delete', '--force', id]);
    }
  });
});
