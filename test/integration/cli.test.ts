/**
 * The command line itself, as engines and shells use it: numeric-looking ids stay ids, runc's
 * --no-* flags are accepted, a closed stdout pipe ends keel quietly, and the fast path (the hot
 * verbs without yargs) answers exactly as the full command line does.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { CLEAN_ENV, KEEL } from '../helpers/keel.js';
import { RUNC } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';
import type { Spec } from '../../src/spec/types.js';

const bed = useTestbed();

/** A root full of records of containers whose creating keel died: all "stopped", nothing live behind them. */
function rootOfStoppedRecords(count: number): string {
  const root = mkdtempSync(join(tmpdir(), `keel-cli-${process.pid}-`));
  for (let i = 0; i < count; i++) {
    const id = `stopped-${String(i).padStart(5, '0')}`;
    mkdirSync(join(root, id));
    const record = { ociVersion: '1.3.0', id, creatorPid: 0x7ffffff0, creatorStartTime: 1, phase: 'creating', bundle: `/nonexistent/bundle/of/${id}`, rootfs: `/nonexistent/bundle/of/${id}/rootfs`, created: new Date(0).toISOString(), owner: 'root', config: {} };
    writeFileSync(join(root, id, 'state.json'), JSON.stringify(record));
  }
  return root;
}
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

describe('the command line', () => {
  it('keeps a numeric-looking id a string, in create, state, list, kill and delete', () => {
    const bundle = bed.bundle((s) => {
      s.process!.args = ['sleep', '1000'];
    });
    const id = String(process.pid); // digits only: yargs' default would have made it a number
    bed.keel.ok(['create', '--bundle', bundle.dir, id]);
    expect(JSON.parse(bed.keel.ok(['state', id]))).toMatchObject({ id, status: 'created' });
    expect(JSON.parse(bed.keel.ok(['list', '--format', 'json']))).toEqual([expect.objectContaining({ id })]);
    bed.keel.ok(['kill', id, '9']);
    bed.keel.ok(['delete', '--force', id]);
    expect(bed.keel.containers()).toEqual([]);
    // "1e3" would have been 1000, and a number crashed the handler ("path must be of type string").
    expect(bed.keel.run(['state', '1e3'])).toMatchObject({ code: 1, stderr: 'keel: container "1e3" does not exist\n' });
    expect(bed.keel.run(['delete', '0x10'])).toMatchObject({ code: 1, stderr: 'keel: container "0x10" does not exist\n' });
  });

  it('refuses a value flag given last without its value, as runc does ("flag needs an argument")', () => {
    // podman asks `<runtime> restore --lsm-mount-context` and offers pod checkpoints only on this answer.
    // (runc stops reading flags at the container id; keel reads them after it too, and refuses `create c1 --pid-file` alike.)
    const lines = [['restore', '--lsm-mount-context'], ['create', '--bundle'], ['create', '--pid-file'], ['list', '--format'], ['list', '-f'], ['update', '--memory'], ['--root']];
    for (const args of lines) {
      const runc = spawnSync(RUNC, args, { encoding: 'utf8', env: CLEAN_ENV });
      const keel = spawnSync(KEEL, args, { encoding: 'utf8', env: CLEAN_ENV });
      expect(`${runc.stdout}${runc.stderr}`, `runc ${args.join(' ')}`).toContain('flag needs an argument');
      expect(runc.status, `runc ${args.join(' ')}`).not.toBe(0);
      expect({ status: keel.status, stderr: keel.stderr }, `keel ${args.join(' ')}`).toEqual({ status: 1, stderr: `keel: flag needs an argument: ${args.at(-1)}\n` });
    }
  });

  it("accepts runc's --no-pivot, --no-new-keyring and --no-subreaper as flags", () => {
    const bundle = bed.bundle((s) => {
      s.process!.args = ['true'];
    });
    const id = `1e${process.pid}`; // a number too (Infinity) to a parser that reads numbers
    expect(bed.keel.run(['run', '--no-pivot', '--no-new-keyring', '--no-subreaper', '--bundle', bundle.dir, id])).toMatchObject({ code: 0, stderr: '' });
    expect(bed.keel.containers()).toEqual([]);
    bed.keel.ok(['create', '--no-pivot', '--no-new-keyring', '-b', bundle.dir, id]);
    expect(JSON.parse(bed.keel.ok(['state', id]))).toMatchObject({ id, status: 'created' });
    bed.keel.ok(['delete', '--force', id]);
  });

  it('--debug and --log reach create and run on the fast path, warnings and steps included', () => {
    const bundle = bed.bundle((s) => {
      s.process!.args = ['true'];
      s.linux!.resources = { memory: { kernel: 1 << 20 } }; // accepted, not applied: a warning
    });
    const id = `logged-${process.pid}`;
    const logFile = join(bundle.dir, 'keel.log');
    const r = bed.keel.run(['--debug', '--log', logFile, '--log-format', 'json', 'run', '--bundle', bundle.dir, id]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('keel: warning: /linux/resources/memory/kernel');
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warning', msg: expect.stringContaining('/linux/resources/memory/kernel') }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'debug', msg: expect.stringContaining(`container ${id} deleted`) }));
  });

  it('stops quietly when the reader of its output goes away (keel list | head -1)', () => {
    const root = rootOfStoppedRecords(1500); // ~150 KiB of table: more than a pipe holds
    roots.push(root);
    const out = join(root, '.out');
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `set -o pipefail; "${KEEL}" --root "${root}" list | head -1 >"${out}"`], { env: CLEAN_ENV, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(readFileSync(out, 'utf8')).toMatch(/^ID +PID +STATUS +BUNDLE +CREATED +OWNER\n$/);
    // The status of a program killed by SIGPIPE, as a shell shows runc's; never 1 with a stack trace.
    expect(r.status).toBe(141);
  });

  it('spec --rootless writes the rootless template, spec alone the usual one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-spec-'));
    try {
      for (const [args, userns] of [[['spec', '--rootless'], true], [['spec'], false]] as const) {
        rmSync(join(dir, 'config.json'), { force: true });
        expect(spawnSync(KEEL, [...args, '--bundle', dir], { env: CLEAN_ENV, encoding: 'utf8' })).toMatchObject({ status: 0, stderr: '' });
        const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Spec;
        expect(spec.linux!.namespaces!.some((ns) => ns.type === 'user'), args.join(' ')).toBe(userns);
        expect(spec.linux!.uidMappings !== undefined, args.join(' ')).toBe(userns);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers the same on the fast path as through yargs', () => {
    const root = rootOfStoppedRecords(3);
    roots.push(root);
    const keel = (args: string[], env: Record<string, string> = {}) => {
      const r = spawnSync(KEEL, ['--root', root, ...args], { env: { ...CLEAN_ENV, ...env }, encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const shapes = [['state', 'stopped-00001'], ['list'], ['list', '-q'], ['list', '--format', 'json'], ['state', 'nope'], ['kill', 'stopped-00001', 'KILL'], ['start', 'nope'], ['delete', 'stopped-00002'],
      ['exec', 'nope', 'true'], ['exec', 'stopped-00001', 'true'], ['exec', '--process', '/nonexistent.json', '--detach', 'stopped-00001'], ['exec', 'stopped-00001']];
    for (const args of shapes) {
      const slow = keel(args, { KEEL_NO_FAST_PATH: '1' });
      if (args[0] === 'delete') rootOfStoppedRecordsRestore(root, 'stopped-00002');
      expect(keel(args), args.join(' ')).toEqual(slow);
    }
    expect(keel(['state', 'stopped-00002']).code).toBe(1);
  });
});

function rootOfStoppedRecordsRestore(root: string, id: string): void {
  mkdirSync(join(root, id));
  const record = { ociVersion: '1.3.0', id, creatorPid: 0x7ffffff0, creatorStartTime: 1, phase: 'creating', bundle: '/nonexistent', rootfs: '/nonexistent/rootfs', created: new Date(0).toISOString(), owner: 'root', config: {} };
  writeFileSync(join(root, id, 'state.json'), JSON.stringify(record));
}
