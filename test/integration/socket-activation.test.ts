/**
 * Socket activation (sd_listen_fds): when keel itself was handed listening fds, `run` and
 * `create` pass them on to the container at the same numbers, as runc does, with LISTEN_FDS=N
 * and LISTEN_PID=1; `exec` passes none.
 */
import { spawn } from 'node:child_process';
import { openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { KEEL } from '../helpers/keel.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();

/**
 * Runs keel the way systemd starts an activated service: LISTEN_FDS=`listen` and LISTEN_PID set
 * to keel's own pid (a shell exports them and execs keel, which keeps its pid), with `fds` open
 * from fd 3 on. Resolves with keel's exit code and stdout.
 */
function activatedKeel(args: string[], fds: number[], opts: { listen: number; pid?: string }) {
  const pid = opts.pid ?? '$$';
  const child = spawn('sh', ['-c', `export LISTEN_FDS=${opts.listen} LISTEN_PID=${pid}; exec "$@"`, 'sh', KEEL, '--root', bed.keel.root, ...args], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'inherit', ...fds],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise<{ code: number | null; out: string }>((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

/** A file holding `text`, opened for reading. */
function fileWith(dir: string, name: string, text: string): number {
  writeFileSync(join(dir, name), text);
  return openSync(join(dir, name), 'r');
}

const SHOW = 'for fd in 3 4 5; do if [ -e /proc/self/fd/$fd ]; then echo "fd $fd: $(cat <&$fd)"; fi; done; echo "LISTEN_FDS=$LISTEN_FDS LISTEN_PID=$LISTEN_PID"';

describe('socket activation passthrough', () => {
  it('run passes LISTEN_FDS fds to the container, with LISTEN_FDS=N and LISTEN_PID=1, ahead of --preserve-fds', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', SHOW]));
    const one = await activatedKeel(['run', '--bundle', b.dir, `act-${process.pid}`], [fileWith(b.dir, 'l', 'listening')], { listen: 1 });
    expect(one).toEqual({ code: 0, out: 'fd 3: listening\nLISTEN_FDS=1 LISTEN_PID=1\n' });

    const two = await activatedKeel(
      ['run', '--preserve-fds', '1', '--bundle', b.dir, `act2-${process.pid}`],
      [fileWith(b.dir, 'l1', 'first'), fileWith(b.dir, 'l2', 'second'), fileWith(b.dir, 'p', 'preserved')],
      { listen: 2 },
    );
    expect(two).toEqual({ code: 0, out: 'fd 3: first\nfd 4: second\nfd 5: preserved\nLISTEN_FDS=2 LISTEN_PID=1\n' });
  });

  it('create passes them too; they are held until start', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', `{ ${SHOW}; } > /tmp/seen`]));
    const id = `act-create-${process.pid}`;
    expect((await activatedKeel(['create', '--bundle', b.dir, id], [fileWith(b.dir, 'l', 'held')], { listen: 1 })).code).toBe(0);
    bed.keel.ok(['start', id]);
    const { eventually } = await import('../helpers/host.js');
    const { readFileSync, existsSync } = await import('node:fs');
    const seen = join(b.rootfs, 'tmp/seen');
    expect(await eventually(() => existsSync(seen) && readFileSync(seen, 'utf8').includes('LISTEN_PID'))).toBe(true);
    expect(readFileSync(seen, 'utf8')).toBe('fd 3: held\nLISTEN_FDS=1 LISTEN_PID=1\n');
    bed.keel.ok(['delete', '--force', id]);
  });

  it('fds meant for another process (LISTEN_PID is not keel) are not passed, nor are they to exec', async () => {
    const b = bed.bundle((s) => (s.process!.args = ['sh', '-c', SHOW]));
    const other = await activatedKeel(['run', '--bundle', b.dir, `act-other-${process.pid}`], [fileWith(b.dir, 'l', 'not for keel')], { listen: 1, pid: '1' });
    expect(other).toEqual({ code: 0, out: 'LISTEN_FDS= LISTEN_PID=\n' });

    const sleeper = bed.bundle((s) => (s.process!.args = ['sleep', '1000']));
    const id = `act-exec-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', sleeper.dir, id]);
    const exec = await activatedKeel(['exec', id, 'sh', '-c', SHOW], [fileWith(b.dir, 'e', 'exec')], { listen: 1 });
    expect(exec).toEqual({ code: 0, out: 'LISTEN_FDS= LISTEN_PID=\n' });
    bed.keel.ok(['delete', '--force', id]);
  });
});
