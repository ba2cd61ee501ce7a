/** process.terminal with --console-socket: the protocol containerd, conmon and CRI-O speak. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { makeBundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { CLEAN_ENV, KEEL } from '../helpers/keel.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;
const RECEIVER = join(new URL('..', import.meta.url).pathname, 'helpers/console-receiver.py');
const PTY_RUN = join(new URL('..', import.meta.url).pathname, 'helpers/pty-run.py');

type Step = { expect: string } | { send: string; until?: string } | { resize: [number, number] };

/** Runs keel at a terminal of `rows` x `cols` (a pty the test owns), playing `steps` against it. */
function keelAtTerminal(rows: number, cols: number, steps: Step[], args: string[]) {
  const r = spawnSync('python3', [PTY_RUN, String(rows), String(cols), JSON.stringify(steps), '--', KEEL, '--root', bed.keel.root, ...args], {
    env: CLEAN_ENV,
    encoding: 'utf8',
    timeout: 40_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.error) throw r.error;
  return JSON.parse(r.stdout) as { code: number; output: string; steps: boolean; restored: boolean };
}

/** Starts a receiver on a socket in `dir`; resolves with what the terminal showed. */
function receiver(dir: string, command: string) {
  const socketPath = join(dir, `console-${Math.random().toString(36).slice(2)}.sock`);
  const child = spawn('python3', [RECEIVER, socketPath, command], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
  return { socketPath, listening: () => eventually(() => out.includes('listening')), done };
}

/** A bundle whose container sleeps (to exec into); returns its directory. */
function makeSleeper(): string {
  const b = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
  bundles.push(b);
  return b.dir;
}

describe('terminals', () => {
  it('create sends a working pty master over --console-socket, sized as asked, as the controlling terminal', async () => {
    const b = makeBundle((s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh'];
      s.process!.consoleSize = { height: 30, width: 100 };
    });
    bundles.push(b);
    const r = receiver(b.dir, 'stty size; tty; [ -t 0 ] && echo interactive; echo DO""NE');
    expect(await r.listening()).toBe(true);
    bed.keel.ok(['create', '--console-socket', r.socketPath, '--bundle', b.dir, 'tty']);
    bed.keel.ok(['start', 'tty']);
    const shown = await r.done;
    expect(shown).toMatch(/^pty \/dev\/pts\/\d+$/m);
    expect(shown).toContain('30 100');
    expect(shown).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(shown).toContain('interactive');
    expect(shown).toMatch(/^DONE/m);
    bed.keel.ok(['delete', '--force', 'tty']);
  });

  it('exec --tty gets a terminal of its own through its console socket', async () => {
    const b = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
    bundles.push(b);
    bed.keel.ok(['run', '-d', '--bundle', b.dir, 'exec-tty']);
    const r = receiver(b.dir, 'tty; echo DO""NE; exit');
    expect(await r.listening()).toBe(true);
    bed.keel.ok(['exec', '--tty', '--detach', '--console-socket', r.socketPath, 'exec-tty', 'sh']);
    const shown = await r.done;
    expect(shown).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(shown).toMatch(/^DONE/m);
    bed.keel.ok(['delete', '--force', 'exec-tty']);
  });

  it('foreground run relays the caller\'s terminal: raw, sized, resized on SIGWINCH, exit code, terminal restored', () => {
    const b = makeBundle((s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh'];
    });
    bundles.push(b);
    const r = keelAtTerminal(30, 100, [
      { expect: '/ # ' },
      { send: 'echo hi; tty; stty size\n' },
      { expect: '^30 100\\r?$' },
      { resize: [40, 120] },
      { send: 'stty size\n', until: '^40 120\\r?$' },
      { send: 'exit 3\n' },
    ], ['run', '--bundle', b.dir, `relay-${process.pid}`]);
    expect(r.steps).toBe(true);
    expect(r.code).toBe(3);
    expect(r.output).toMatch(/^hi\r?$/m);
    expect(r.output).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(r.output).toMatch(/^30 100\r?$/m);
    expect(r.output).toMatch(/^40 120\r?$/m);
    expect(r.restored).toBe(true);
    expect(bed.keel.containers()).not.toContain(`relay-${process.pid}`);
  });

  it('process.consoleSize wins over the caller\'s size at start; ^C reaches the container\'s terminal', () => {
    const b = makeBundle((s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh'];
      s.process!.consoleSize = { height: 20, width: 50 };
    });
    bundles.push(b);
    const r = keelAtTerminal(30, 100, [
      { expect: '/ # ' },
      // Raw mode: ^C is a byte for the container's terminal, which interrupts the sleep there, not keel.
      { send: 'stty size; sleep 30\n' },
      { expect: '^20 50\\r?$' },
      // Again every 0.5 s until the prompt is back: a ^C that lands before sh has started the
      // sleep interrupts sh instead, and the sleep would then run its 30 s.
      { send: '\x03', until: '/ # ' },
      { send: 'exit 7\n' },
    ], ['run', '--bundle', b.dir, `relay-size-${process.pid}`]);
    expect(r.steps).toBe(true);
    expect(r.code).toBe(7);
    expect(r.output).toMatch(/^20 50\r?$/m);
    expect(r.restored).toBe(true);
  });

  it('foreground exec -t relays the caller\'s terminal too', () => {
    const b = makeBundle((s) => (s.process!.args = ['sleep', '1000']));
    bundles.push(b);
    const id = `relay-exec-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', b.dir, id]);
    const r = keelAtTerminal(25, 90, [{ expect: '/ # ' }, { send: 'echo hi; tty; stty size; exit 3\n' }], ['exec', '-t', id, 'sh']);
    expect(r.code).toBe(3);
    expect(r.output).toMatch(/^hi\r?$/m);
    expect(r.output).toMatch(/^\/dev\/pts\/\d+\r?$/m);
    expect(r.output).toMatch(/^25 90\r?$/m);
    expect(r.restored).toBe(true);
    // A process that cannot start: a clear error at the caller's terminal, left as it was.
    const missing = keelAtTerminal(25, 90, [], ['exec', '-t', id, 'no-such-program']);
    expect(missing.code).toBe(1);
    expect(missing.output).toMatch(/^keel: exec: "no-such-program": executable file not found/m);
    expect(missing.restored).toBe(true);
    bed.keel.ok(['delete', '--force', id]);
  });

  it('relays a piped stdin (no terminal on keel\'s side) to the container\'s terminal', () => {
    const b = makeBundle((s) => {
      s.process!.terminal = true;
      s.process!.args = ['sh'];
    });
    bundles.push(b);
    const run = bed.keel.run(['run', '--bundle', b.dir, `relay-pipe-${process.pid}`], { input: 'echo h""i; tty; exit 4\n' });
    expect(run.code).toBe(4);
    expect(run.stdout).toMatch(/^hi\r?$/m);
    expect(run.stdout).toMatch(/^\/dev\/pts\/\d+\r?$/m);

    const id = `relay-pipe-exec-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', makeSleeper(), id]);
    // Input that ends without "exit": the end of input reaches the shell as end-of-file.
    const exec = bed.keel.run(['exec', '-t', id, 'sh'], { input: '[ -t 0 ] && echo term""inal\n' });
    expect(exec.code).toBe(0);
    expect(exec.stdout).toMatch(/^terminal\r?$/m);
    bed.keel.ok(['delete', '--force', id]);
  });

  it('detached run and exec with a terminal but no console socket are refused', () => {
    const b = makeBundle((s) => (s.process!.terminal = true));
    bundles.push(b);
    const run = bed.keel.run(['run', '-d', '--bundle', b.dir, `tty-detached-${process.pid}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/no --console-socket was given/);
    expect(bed.keel.containers()).not.toContain(`tty-detached-${process.pid}`);
    const id = `tty-exec-detached-${process.pid}`;
    bed.keel.ok(['run', '-d', '--bundle', makeSleeper(), id]);
    const exec = bed.keel.run(['exec', '-t', '-d', id, 'sh']);
    expect(exec).toMatchObject({ code: 1, stderr: 'keel: a terminal (--tty or process.terminal) with --detach needs --console-socket: keel passes the terminal to whoever listens there\n' });
    bed.keel.ok(['delete', '--force', id]);
  });

  it('a --console-socket where nothing listens fails in one line naming the flag, leaving nothing', () => {
    const b = makeBundle((s) => (s.process!.terminal = true));
    bundles.push(b);
    const sock = join(b.dir, 'nobody.sock');
    const r = bed.keel.run(['create', '--console-socket', sock, '--bundle', b.dir, 'no-listener']);
    expect(r).toMatchObject({ code: 1, stderr: `keel: --console-socket ${sock}: cannot connect: no such file or directory (nothing listens there: the engine's socket, made before it calls keel)\n` });
    expect(bed.keel.containers()).not.toContain('no-listener');
  });

  it('create refuses a terminal without a console socket, leaving nothing', () => {
    const b = makeBundle((s) => (s.process!.terminal = true));
    bundles.push(b);
    const r = bed.keel.run(['create', '--bundle', b.dir, 'no-socket']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keel: process.terminal is true but no --console-socket was given: keel passes the terminal to whoever listens there (set "terminal": false, or pass --console-socket)\n');
    expect(bed.keel.containers()).not.toContain('no-socket');
  });
});
