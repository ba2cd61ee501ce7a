/** process.terminal with --console-socket: the protocol containerd, conmon and CRI-O speak. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { makeBundle } from '../helpers/bundle.js';
import { eventually } from '../helpers/host.js';
import { useTestbed } from '../helpers/testbed.js';

const bed = useTestbed();
const bundles = bed.bundles;
const RECEIVER = join(new URL('..', import.meta.url).pathname, 'helpers/console-receiver.py');


/** Starts a receiver on a socket in `dir`; resolves with what the terminal showed. */
function receiver(dir: string, command: string) {
  const socketPath = join(dir, `console-${Math.random().toString(36).slice(2)}.sock`);
  const child = spawn('python3', [RECEIVER, socketPath, command], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<string>((resolve) => child.on('exit', () => resolve(out)));
  return { socketPath, listening: () => eventually(() => out.includes('listening')), done };
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

  it('create refuses a terminal without a console socket, leaving nothing', () => {
    const b = makeBundle((s) => (s.process!.terminal = true));
    bundles.push(b);
    const r = bed.keel.run(['create', '--bundle', b.dir, 'no-socket']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('keel: process.terminal is true but no --console-socket was given: keel passes the terminal to whoever listens there (set "terminal": false, or pass --console-socket)\n');
    expect(bed.keel.containers()).not.toContain('no-socket');
  });
});
