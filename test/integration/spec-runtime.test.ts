/**
 * The MUSTs of the runtime-spec's runtime.md (state, lifecycle, errors and the operations state,
 * create, start, kill and delete), one test per sentence, each named after it, on containers whose
 * process really runs. Hooks' MUSTs are in hooks.test.ts. Some are also checked, in other words,
 * by lifecycle.test.ts (the created -> running -> stopped walk, kill's signal names).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { validateState } from '../../src/spec/validate.js';
import type { Spec } from '../../src/spec/types.js';
import { eventually, mountsMentioning, processesMentioning } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const CG = '/sys/fs/cgroup';
let n = 0;
const newId = (what: string) => `spec-${what}-${process.pid}-${n++}`;

interface State {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  annotations?: Record<string, string>;
}
const state = (id: string) => JSON.parse(bed.keel.ok(['state', id])) as State;
const stopped = (id: string) => eventually(() => state(id).status === 'stopped');
/** The program the process runs now, as the kernel says (keel-init's memfd until start). */
const exe = (pid: number) => readlinkSync(`/proc/${pid}/exe`);
const alive = (pid: number) => existsSync(`/proc/${pid}`) && !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

/** A container made with `create` (not started) from a busybox bundle running `script`. */
function created(script: string, edit: (s: Spec) => void = () => {}) {
  const id = newId('c');
  const b = bed.bundle((s) => {
    s.process!.args = ['sh', '-c', script];
    edit(s);
  });
  bed.keel.ok(['create', '--bundle', b.dir, id]);
  return { id, b, pid: state(id).pid! };
}

/** A started container whose process runs until killed. */
async function running(edit: (s: Spec) => void = () => {}) {
  const c = created('echo ran >> /tmp/runs; trap "echo usr1 >> /tmp/signals" USR1; while :; do sleep 0.05; done', edit);
  bed.keel.ok(['start', c.id]);
  expect(await eventually(() => existsSync(join(c.b.rootfs, 'tmp/runs')))).toBe(true);
  return c;
}

const noArgs = (verb: string) => {
  const r = bed.keel.run([verb]);
  expect(r.code).not.toBe(0);
  expect(r.stdout).toBe('');
  expect(r.stderr).not.toBe('');
};

describe('runtime.md: state', () => {
  it('the state MUST adhere to the state JSON schema, with ociVersion, id, status, pid (when created or running), bundle and annotations', async () => {
    const c = created('sleep 1000', (s) => (s.annotations = { 'org.keel.test': 'state' }));
    for (const want of ['created', 'running', 'stopped']) {
      if (want === 'running') bed.keel.ok(['start', c.id]);
      if (want === 'stopped') {
        bed.keel.ok(['kill', c.id, 'KILL']);
        expect(await stopped(c.id)).toBe(true);
      }
      const s = state(c.id);
      expect(validateState(s)).toEqual([]);
      expect(s).toMatchObject({ id: c.id, status: want, bundle: c.b.dir, annotations: { 'org.keel.test': 'state' } });
      expect(s.ociVersion).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
      if (want !== 'stopped') expect(s.pid).toBe(c.pid);
    }
  });

  it('status created: the container process has neither exited nor executed the user-specified program', () => {
    const c = created('sleep 1000');
    expect(state(c.id).status).toBe('created');
    expect(alive(c.pid)).toBe(true);
    expect(exe(c.pid)).toMatch(/keel-init/);
  });

  it('status running: the container process has executed the user-specified program but has not exited', async () => {
    const c = await running();
    expect(state(c.id).status).toBe('running');
    expect(exe(c.pid)).toBe('/bin/busybox');
    expect(alive(c.pid)).toBe(true);
  });

  it('status stopped: the container process has exited', async () => {
    const c = created('exit 3');
    bed.keel.ok(['start', c.id]);
    expect(await stopped(c.id)).toBe(true);
    expect(alive(c.pid)).toBe(false);
  });

  it('the id MUST be unique across all containers on this host', () => {
    const c = created('sleep 1000');
    const other = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    expect(bed.keel.run(['create', '--bundle', other.dir, c.id]).code).toBe(1);
    expect(state(c.id)).toMatchObject({ bundle: c.b.dir, pid: c.pid });
  });
});

describe('runtime.md: query state', () => {
  it('MUST generate an error if it is not provided the ID of a container', () => noArgs('state'));

  it('querying a container that does not exist MUST generate an error', () => {
    expect(bed.keel.run(['state', 'no-such-container'])).toMatchObject({ code: 1, stdout: '', stderr: 'keel: container "no-such-container" does not exist\n' });
  });

  it('MUST return the state of a container as specified in the State section', async () => {
    const c = await running();
    const s = state(c.id);
    expect(validateState(s)).toEqual([]);
    expect(s).toMatchObject({ id: c.id, status: 'running', pid: c.pid, bundle: c.b.dir });
  });
});

describe('runtime.md: create', () => {
  it('MUST generate an error if it is not provided a path to the bundle and the container ID', () => {
    noArgs('create');
    // Without --bundle, the bundle is the working directory (as runc): one without config.json is an error.
    const empty = bed.bundle().dir + '/rootfs';
    const r = bed.keel.run(['create', newId('nobundle')], { cwd: empty });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${empty}/config.json`);
    expect(bed.keel.containers().filter((c) => c.includes('nobundle'))).toEqual([]);
  });

  it('an ID that is not unique MUST generate an error and a new container MUST NOT be created', () => {
    const c = created('sleep 1000');
    const other = bed.bundle((s) => (s.process!.args = ['sh', '-c', 'touch /tmp/second; sleep 1000']));
    const r = bed.keel.run(['create', '--bundle', other.dir, c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already exists/);
    expect(processesMentioning(other.dir)).toEqual([]);
    expect(bed.keel.containers().filter((id) => id === c.id)).toEqual([c.id]);
    expect(state(c.id).pid).toBe(c.pid);
  });

  it('an ID that is not valid MUST generate an error and a new container MUST NOT be created', () => {
    const b = bed.bundle();
    for (const id of ['../escape', 'a/b', '.', '']) {
      const r = bed.keel.run(['create', '--bundle', b.dir, id]);
      expect(r.code, id).toBe(1);
    }
    expect(bed.keel.containers().filter((c) => /escape|^a$|^b$/.test(c))).toEqual([]);
    expect(existsSync(join(bed.keel.root, '..', 'escape'))).toBe(false);
  });

  it('all properties in config.json except process MUST be applied; process.args MUST NOT be applied until start', async () => {
    const c = created('touch /tmp/started; sleep 1000', (s) => {
      s.hostname = 'spec-create';
      s.mounts!.push({ destination: '/spec-tmpfs', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    });
    // The namespaces, hostname and mounts exist at create, as the process sees them...
    expect(readlinkSync(`/proc/${c.pid}/ns/uts`)).not.toBe(readlinkSync('/proc/self/ns/uts'));
    expect(readFileSync(`/proc/${c.pid}/mountinfo`, 'utf8')).toMatch(/ \/spec-tmpfs .* - tmpfs /);
    // ...but the program has not run.
    expect(existsSync(join(c.b.rootfs, 'tmp/started'))).toBe(false);
    expect(exe(c.pid)).toMatch(/keel-init/);
    bed.keel.ok(['start', c.id]);
    expect(await eventually(() => existsSync(join(c.b.rootfs, 'tmp/started')))).toBe(true);
    expect(bed.keel.ok(['exec', c.id, 'hostname'])).toBe('spec-create\n');
  });

  it('if the runtime cannot apply a property, it MUST generate an error and a new container MUST NOT be created (leaving the environment as if never attempted)', () => {
    const id = newId('unapplicable');
    const parent = `/keel-spec-${process.pid}`;
    const b = bed.bundle((s) => {
      s.process!.args = ['touch', '/tmp/ran'];
      s.linux!.cgroupsPath = `${parent}/${id}`;
      s.mounts!.push({ destination: '/data', type: 'bind', source: join(bed.keel.root, 'no-such-source'), options: ['bind'] });
    });
    const r = bed.keel.run(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no-such-source/);
    expect(bed.keel.containers()).not.toContain(id);
    expect(bed.keel.run(['state', id]).code).toBe(1);
    expect(processesMentioning(b.dir)).toEqual([]);
    expect(mountsMentioning(b.dir)).toEqual([]);
    expect(existsSync(join(b.rootfs, 'tmp/ran'))).toBe(false);
    for (const hierarchy of readdirSync(CG)) expect(existsSync(`${CG}/${hierarchy}${parent}/${id}`)).toBe(false);
  });

  it('updates to config.json after create MUST NOT affect the container', async () => {
    const c = created('echo original > /tmp/which; sleep 1000', (s) => (s.hostname = 'before'));
    c.b.spec.process!.args = ['sh', '-c', 'echo changed > /tmp/which; sleep 1000'];
    c.b.spec.hostname = 'after';
    c.b.save();
    bed.keel.ok(['start', c.id]);
    expect(await eventually(() => existsSync(join(c.b.rootfs, 'tmp/which')))).toBe(true);
    expect(readFileSync(join(c.b.rootfs, 'tmp/which'), 'utf8')).toBe('original\n');
    expect(bed.keel.ok(['exec', c.id, 'hostname'])).toBe('before\n');
  });
});

describe('runtime.md: start', () => {
  it('MUST generate an error if it is not provided the container ID', () => noArgs('start'));

  it('start of a container that is not created MUST have no effect on the container and MUST generate an error', async () => {
    const c = await running();
    const r = bed.keel.run(['start', c.id]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toBe('');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(readFileSync(join(c.b.rootfs, 'tmp/runs'), 'utf8')).toBe('ran\n'); // the program ran once
    expect(state(c.id)).toMatchObject({ status: 'running', pid: c.pid });

    bed.keel.ok(['kill', c.id, 'KILL']);
    expect(await stopped(c.id)).toBe(true);
    expect(bed.keel.run(['start', c.id]).code).toBe(1);
    expect(state(c.id).status).toBe('stopped');
    expect(readFileSync(join(c.b.rootfs, 'tmp/runs'), 'utf8')).toBe('ran\n');
  });

  it('MUST run the user-specified program as specified by process (args, env, cwd)', async () => {
    const c = created('echo "$0 $1 $GREETING $(pwd)" > /tmp/out', (s) => {
      s.process!.args = ['sh', '-c', 'echo "$0 $1 $GREETING $(pwd)" > /tmp/out', 'zero', 'one'];
      s.process!.env = ['PATH=/bin', 'GREETING=hello'];
      s.process!.cwd = '/etc';
    });
    bed.keel.ok(['start', c.id]);
    expect(await stopped(c.id)).toBe(true);
    expect(readFileSync(join(c.b.rootfs, 'tmp/out'), 'utf8')).toBe('zero one hello /etc\n');
  });

  it('MUST generate an error if process was not set (keel refuses such a config at create, naming it)', () => {
    const b = bed.bundle((s) => delete s.process);
    const id = newId('noprocess');
    const r = bed.keel.run(['create', '--bundle', b.dir, id]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"process"/);
    expect(bed.keel.run(['start', id]).code).toBe(1);
  });
});

describe('runtime.md: kill', () => {
  it('MUST generate an error if it is not provided the container ID', () => noArgs('kill'));

  it('kill of a container that is neither created nor running MUST have no effect on the container and MUST generate an error', async () => {
    const c = created('exit 0');
    bed.keel.ok(['start', c.id]);
    expect(await stopped(c.id)).toBe(true);
    const r = bed.keel.run(['kill', c.id, 'TERM']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toBe('');
    expect(state(c.id).status).toBe('stopped');
    bed.keel.ok(['delete', c.id]); // still an ordinary stopped container
  });

  it('MUST send the specified signal to the container process', async () => {
    const c = await running();
    bed.keel.ok(['kill', c.id, 'USR1']);
    expect(await eventually(() => existsSync(join(c.b.rootfs, 'tmp/signals')))).toBe(true);
    expect(readFileSync(join(c.b.rootfs, 'tmp/signals'), 'utf8')).toBe('usr1\n');
    expect(state(c.id)).toMatchObject({ status: 'running', pid: c.pid }); // caught: it runs on
    bed.keel.ok(['kill', c.id, 'KILL']);
    expect(await stopped(c.id)).toBe(true);
  });

  it('MUST send the specified signal to the process of a created container too', async () => {
    const c = created('sleep 1000');
    bed.keel.ok(['kill', c.id, 'KILL']);
    expect(await stopped(c.id)).toBe(true);
    expect(alive(c.pid)).toBe(false);
  });
});

describe('runtime.md: delete', () => {
  it('MUST generate an error if it is not provided the container ID', () => noArgs('delete'));

  // (Not checked for a created container: runc 1.1.5 deletes one without --force, killing its
  // process, and so does keel; engines clean up a task that failed to start that way.)
  it('delete of a container that is not stopped (running) MUST have no effect on the container and MUST generate an error', async () => {
    const r = await running();
    expect(bed.keel.run(['delete', r.id]).code).toBe(1);
    expect(state(r.id)).toMatchObject({ status: 'running', pid: r.pid });
    bed.keel.ok(['kill', r.id, 'USR1']); // still signalled and running as before
    expect(await eventually(() => existsSync(join(r.b.rootfs, 'tmp/signals')))).toBe(true);
  });

  const parent = `/keel-spec-owned-${process.pid}`;
  afterAll(() => {
    for (const hierarchy of readdirSync(CG)) if (existsSync(`${CG}/${hierarchy}${parent}`)) rmdirSync(`${CG}/${hierarchy}${parent}`);
  });

  it('deleting a container MUST delete the resources created during create, and MUST NOT delete those it did not create', async () => {
    // Made before, by someone else: a parent cgroup, a bind mount's source, the bundle and its rootfs.
    for (const hierarchy of readdirSync(CG)) {
      if (!existsSync(`${CG}/${hierarchy}/cgroup.procs`)) continue;
      mkdirSync(`${CG}/${hierarchy}${parent}`);
      // A new cpuset cgroup has no CPUs or memory nodes until given some.
      for (const f of ['cpuset.cpus', 'cpuset.mems']) if (existsSync(`${CG}/${hierarchy}/${f}`)) writeFileSync(`${CG}/${hierarchy}${parent}/${f}`, readFileSync(`${CG}/${hierarchy}/${f}`));
    }
    const shared = join(bed.bundle().dir, 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'keep'), 'kept');
    const c = created('cat /data/keep > /tmp/read; sleep 1000', (s) => {
      s.linux!.cgroupsPath = `${parent}/owned`;
      s.mounts!.push({ destination: '/data', type: 'bind', source: shared, options: ['rbind', 'rw'] });
    });
    bed.keel.ok(['start', c.id]);
    expect(await eventually(() => existsSync(join(c.b.rootfs, 'tmp/read')))).toBe(true);
    bed.keel.ok(['kill', c.id, 'KILL']);
    expect(await stopped(c.id)).toBe(true);
    bed.keel.ok(['delete', c.id]);

    expect(bed.keel.run(['state', c.id]).code).toBe(1);
    expect(bed.keel.containers()).not.toContain(c.id);
    expect(processesMentioning(c.b.dir)).toEqual([]);
    expect(mountsMentioning(c.b.dir)).toEqual([]);
    for (const hierarchy of readdirSync(CG)) {
      if (!existsSync(`${CG}/${hierarchy}/cgroup.procs`)) continue;
      expect(existsSync(`${CG}/${hierarchy}${parent}/owned`), hierarchy).toBe(false);
      expect(existsSync(`${CG}/${hierarchy}${parent}`), hierarchy).toBe(true);
    }
    expect(readFileSync(join(shared, 'keep'), 'utf8')).toBe('kept');
    expect(existsSync(join(c.b.rootfs, 'bin/busybox'))).toBe(true);
    expect(existsSync(join(c.b.dir, 'config.json'))).toBe(true);
  });
});
