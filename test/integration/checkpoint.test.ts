/**
 * keel checkpoint / keel restore on this host: every refusal comes before anything changes (the
 * container keeps running with the same init, no restored container appears), and each names its
 * reason in one line. CRIU's own `criu check`, run here beside keel, is the reference for whether
 * CRIU can work on this kernel; fake CRIU binaries (--criu, runc's flag) stand for the other cases.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../helpers/host.js';
import { RuncRoot } from '../helpers/runc.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const scratch = mkdtempSync(join(tmpdir(), 'keel-criu-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A stand-in for CRIU: `check` exits with `status` after printing `output`; `--version` names a version. */
function fakeCriu(name: string, status: number, output: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = --version ]; then echo "Version: 9.9.9"; exit 0; fi\nprintf '%s' '${output}' >&2\nexit ${status}\n`);
  chmodSync(path, 0o755);
  return path;
}

const MISSING = join(scratch, 'no-such-criu');
let failing = '';
let passing = '';
/** This host's `criu check`, run here: the first Error line is the cause keel must name. */
let hostCheck: { status: number | null; firstError?: string };

beforeAll(() => {
  failing = fakeCriu('failing-criu', 1, 'Error (criu/kerndat.c:1): no soft-dirty tracking\nError (criu/crtools.c:2): Could not initialize\n');
  passing = fakeCriu('passing-criu', 0, 'Looks good.\n');
  const r = spawnSync('criu', ['check'], { encoding: 'utf8' });
  if (r.error) throw new Error(`criu is not installed: run "make host-deps" (${r.error.message})`);
  hostCheck = { status: r.status, firstError: /^Error \([^)]*\):\s*(.*)$/m.exec(r.stderr + r.stdout)?.[1] };
});

const state = (id: string) => JSON.parse(bed.keel.ok(['state', id])) as { status: string; pid: number };

function startSleeper(id: string): number {
  const bundle = bed.bundle((s) => {
    s.process!.args = ['sleep', '1000'];
  });
  bed.keel.ok(['run', '-d', '--bundle', bundle.dir, id]);
  return state(id).pid;
}

describe('keel checkpoint', () => {
  it("lists runc's flags in --help", () => {
    const help = bed.keel.ok(['checkpoint', '--help']);
    for (const flag of ['image-path', 'work-path', 'parent-path', 'leave-running', 'tcp-established', 'ext-unix-sk', 'shell-job', 'lazy-pages', 'status-fd', 'page-server', 'file-locks', 'pre-dump', 'manage-cgroups-mode', 'empty-ns', 'auto-dedup']) {
      expect(help, flag).toContain(`--${flag}`);
    }
  });

  it('refuses a created container, as runc does, and leaves it created', () => {
    const bundle = bed.bundle((s) => {
      s.process!.args = ['sleep', '1000'];
    });
    const runc = new RuncRoot();
    try {
      runc.ok(['create', '--bundle', bundle.dir, 'cp-created']);
      const theirs = runc.run(['checkpoint', '--image-path', join(scratch, 'runc-img'), 'cp-created']);
      expect(theirs.code).not.toBe(0);
      expect(theirs.stderr).toContain('cannot be checkpointed in created state');
    } finally {
      runc.cleanup();
    }
    bed.keel.ok(['create', '--bundle', bundle.dir, 'cp-created']);
    const ours = bed.keel.run(['--criu', passing, 'checkpoint', '--image-path', join(scratch, 'img-created'), 'cp-created']);
    expect(ours).toMatchObject({ code: 1, stderr: 'keel: cannot checkpoint container "cp-created": it is created, not running\n' });
    expect(state('cp-created').status).toBe('created');
    expect(existsSync(join(scratch, 'img-created'))).toBe(false);
    bed.keel.ok(['delete', '--force', 'cp-created']);
  });

  it('refuses a stopped container', async () => {
    const id = 'cp-stopped';
    const pid = startSleeper(id);
    bed.keel.ok(['kill', id, 'KILL']);
    expect(await eventually(() => state(id).status === 'stopped')).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(bed.keel.run(['--criu', passing, 'checkpoint', id])).toMatchObject({ code: 1, stderr: `keel: cannot checkpoint container "${id}": it is stopped, not running\n` });
    bed.keel.ok(['delete', id]);
  });

  it('refuses a container that does not exist', () => {
    expect(bed.keel.run(['checkpoint', 'cp-none'])).toMatchObject({ code: 1, stderr: 'keel: container "cp-none" does not exist\n' });
  });

  describe('where CRIU cannot work, fails in one line naming why, and the container runs on untouched', () => {
    const id = 'cp-running';
    let pid = 0;
    beforeAll(() => {
      pid = startSleeper(id);
    });
    afterAll(() => {
      bed.keel.run(['delete', '--force', id]);
    });

    const refusedAndUntouched = (args: string[], reason: string) => {
      const images = join(scratch, `img-${Math.random().toString(36).slice(2)}`);
      const r = bed.keel.run([...args, 'checkpoint', '--image-path', images, id]);
      expect(r).toMatchObject({ code: 1, stderr: `keel: cannot checkpoint container "${id}": ${reason}\n` });
      expect(state(id)).toMatchObject({ status: 'running', pid });
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      expect(existsSync(images)).toBe(false);
    };

    it('CRIU missing', () => {
      refusedAndUntouched(['--criu', MISSING], `CRIU is not installed: "${MISSING}" was not found (install the criu package, or name its binary with --criu PATH)`);
    });

    it("criu check failing: CRIU's first error is the reason", () => {
      refusedAndUntouched(['--criu', failing], `CRIU cannot checkpoint on this host: "${failing} check" fails with "no soft-dirty tracking"`);
    });

    it("this host's CRIU, judged by its own criu check", () => {
      if (hostCheck.status !== 0) {
        // This project's host: CRIU 3.17 fails `criu check` on its kernel with a vDSO error.
        expect(hostCheck.firstError).toBeDefined();
        refusedAndUntouched([], `CRIU cannot checkpoint on this host: "criu check" fails with "${hostCheck.firstError}"`);
      } else {
        const r = bed.keel.run(['checkpoint', '--leave-running', '--image-path', join(scratch, 'img-host'), id]);
        expect(r.code).toBe(0);
        expect(state(id)).toMatchObject({ status: 'running', pid });
      }
    });

    it('bad flags are refused, naming the flag, before CRIU is asked', () => {
      for (const [flags, message] of [
        [['--manage-cgroups-mode', 'loose'], '--manage-cgroups-mode loose: not a mode: use soft, full, strict or ignore'],
        [['--empty-ns', 'pid'], '--empty-ns pid: only "network" can be made empty'],
        [['--parent-path', '/abs'], '--parent-path /abs: must be relative to --image-path'],
        [['--page-server', 'nowhere'], '--page-server nowhere: expected ADDRESS:PORT'],
      ] as const) {
        const r = bed.keel.run(['--criu', MISSING, 'checkpoint', ...flags, id]);
        expect(r.code, flags.join(' ')).toBe(1);
        expect(r.stderr).toContain(`keel: ${message}`);
        expect(r.stderr.split('\n').length).toBe(2);
      }
      expect(state(id)).toMatchObject({ status: 'running', pid });
    });
  });
});

describe('keel restore', () => {
  it("lists runc's flags in --help", () => {
    const help = bed.keel.ok(['restore', '--help']);
    for (const flag of ['console-socket', 'image-path', 'work-path', 'tcp-established', 'ext-unix-sk', 'shell-job', 'file-locks', 'manage-cgroups-mode', 'bundle', 'detach', 'pid-file', 'empty-ns', 'auto-dedup', 'lazy-pages', 'lsm-profile', 'lsm-mount-context']) {
      expect(help, flag).toContain(`--${flag}`);
    }
  });

  const images = join(scratch, 'restore-img');
  beforeAll(() => {
    // Looks like a checkpoint to keel's own checks; CRIU is never reached in these tests.
    mkdirSync(images, { recursive: true });
    writeFileSync(join(images, 'inventory.img'), '');
  });

  const refusedAndNothingMade = (args: string[], id: string, reason: string) => {
    const bundle = bed.bundle();
    const r = bed.keel.run([...args, 'restore', '-d', '--bundle', bundle.dir, '--image-path', images, id]);
    expect(r).toMatchObject({ code: 1, stderr: `keel: cannot restore container "${id}": ${reason}\n` });
    expect(bed.keel.containers()).not.toContain(id);
  };

  it('where CRIU is missing, or its check fails, fails in one line naming why, and makes no container', () => {
    refusedAndNothingMade(['--criu', MISSING], 'rs-missing', `CRIU is not installed: "${MISSING}" was not found (install the criu package, or name its binary with --criu PATH)`);
    refusedAndNothingMade(['--criu', failing], 'rs-failing', `CRIU cannot checkpoint on this host: "${failing} check" fails with "no soft-dirty tracking"`);
    if (hostCheck.status !== 0) refusedAndNothingMade([], 'rs-host', `CRIU cannot checkpoint on this host: "criu check" fails with "${hostCheck.firstError}"`);
    else expect(hostCheck.firstError).toBeUndefined();
  });

  it('refuses an id that is taken, and leaves that container alone', () => {
    const pid = startSleeper('rs-taken');
    const bundle = bed.bundle();
    const r = bed.keel.run(['--criu', passing, 'restore', '-d', '--bundle', bundle.dir, '--image-path', images, 'rs-taken']);
    expect(r).toMatchObject({ code: 1, stderr: 'keel: cannot restore container "rs-taken": container "rs-taken" already exists (restore into a new id, or delete it first)\n' });
    expect(state('rs-taken')).toMatchObject({ status: 'running', pid });
    bed.keel.ok(['delete', '--force', 'rs-taken']);
  });

  it('refuses a directory without a checkpoint in it', () => {
    const bundle = bed.bundle();
    const empty = join(scratch, 'no-checkpoint');
    mkdirSync(empty, { recursive: true });
    const r = bed.keel.run(['--criu', passing, 'restore', '-d', '--bundle', bundle.dir, '--image-path', empty, 'rs-empty']);
    expect(r).toMatchObject({ code: 1, stderr: `keel: cannot restore container "rs-empty": ${empty} holds no checkpoint (no inventory.img): name the checkpoint's directory with --image-path\n` });
    expect(bed.keel.containers()).toEqual([]);
  });
});

describe('keel features', () => {
  const annotations = (args: string[]) => (JSON.parse(bed.keel.ok([...args, 'features'])) as { annotations?: Record<string, string> }).annotations ?? {};

  it("reports runc's checkpoint annotation only when criu check passes", () => {
    expect(annotations(['--criu', passing])).toEqual({ 'org.opencontainers.runc.checkpoint.enabled': 'true' });
    expect(annotations(['--criu', failing])).toEqual({});
    expect(annotations(['--criu', MISSING])).toEqual({});
    expect(annotations([])).toEqual(hostCheck.status === 0 ? { 'org.opencontainers.runc.checkpoint.enabled': 'true' } : {});
  });
});
