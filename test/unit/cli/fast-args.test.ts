/**
 * The hand-written parser of the hot verbs (fast-args.ts) against yargs (yargs-cli.ts): on every
 * shape the fast parser accepts, both must hand the handler the same values; on every shape it
 * refuses, yargs gets the arguments. Also the yargs settings that keep ids strings and runc's
 * --no-* flags flags.
 */
import { describe, expect, it } from 'vitest';

import { parseFast } from '../../../src/cli/fast-args.js';
import { GLOBAL_FLAGS, HOT_VERBS } from '../../../src/cli/flags.js';
import { buildCli, COMMANDS } from '../../../src/cli/yargs-cli.js';

/** What yargs hands a verb's handler, restricted to the declared flags and positionals. */
async function parseWithYargs(args: string[]): Promise<{ verb: string; argv: Record<string, unknown> } | Error> {
  let seen: { verb: string; argv: Record<string, unknown> } | undefined;
  const recording = COMMANDS.map((c) => ({
    ...c,
    handler: (argv: Record<string, unknown>) => {
      seen = { verb: String(c.command).split(' ')[0]!, argv: structuredClone(argv) };
    },
  }));
  try {
    await buildCli(args, recording).parseAsync();
  } catch (err) {
    return err as Error;
  }
  if (!seen) return new Error('no handler ran');
  const spec = HOT_VERBS[seen.verb];
  const keys = [...Object.keys(GLOBAL_FLAGS), ...Object.keys(spec?.flags ?? {}), ...(spec?.positionals ?? []).map((p) => p.name), '--'];
  const argv: Record<string, unknown> = {};
  for (const key of keys) if (seen.argv[key] !== undefined) argv[key] = seen.argv[key];
  return { verb: seen.verb, argv };
}

const ACCEPTED: string[][] = [
  ['state', 'web'],
  ['state', '1e3'],
  ['state', '0x10'],
  ['state', '007'],
  ['--root', '/run/r', 'state', 'web'],
  ['--root=/run/r', '--log', '/l', '--log-format', 'json', 'state', 'web'],
  ['--root', '/run/r', '--log=/l', '--log-format=text', '--debug', '--systemd-cgroup', 'start', 'web'],
  ['state', 'web', '--root', '/r'],
  ['--rootless', 'false', 'state', 'web'],
  ['--criu', 'x', 'start', 'web'],
  ['delete', 'web'],
  ['delete', '--force', 'web'],
  ['delete', '-f', 'web'],
  ['delete', 'web', '--force'],
  ['kill', 'web'],
  ['kill', 'web', 'KILL'],
  ['kill', 'web', '9'],
  ['kill', '--all', 'web', 'SIGTERM'],
  ['kill', '-a', 'web', '15'],
  ['list'],
  ['list', '-q'],
  ['list', '--quiet'],
  ['list', '--format', 'json'],
  ['list', '-f', 'json'],
  ['list', '--format=table'],
  ['create', 'web'],
  ['create', '123'],
  ['create', '--bundle', '/b', '--pid-file', '/p', 'web'],
  ['create', '-b', '/b', '--console-socket', '/s', '--preserve-fds', '2', 'web'],
  ['create', '--bundle=/b', '--pid-file=/p', '--no-pivot', '--no-new-keyring', 'web'],
  ['--root', '/r', '--log', '/l', '--log-format', 'json', '--systemd-cgroup', 'create', '--bundle', '/b', '--pid-file', '/p', 'web'],
  ['run', 'web'],
  ['run', '-d', '--bundle', '/b', 'web'],
  ['run', '--detach', '--keep', '--no-subreaper', '--no-pivot', '-b', '/b', 'web'],
  // The shapes containerd's shim and podman send (../shared/ENGINES.md), and a person's.
  ['--root', '/r', '--log', '/l', '--log-format', 'json', 'exec', '--process', '/p.json', '--detach', '--pid-file', '/pid', 'web'],
  ['--log-format=json', '--log', '/l', 'exec', '--pid-file', '/pid', '--process', '/p.json', '--detach', '--tty', '--console-socket', '/s', 'web'],
  ['exec', 'web', 'ls'],
  ['exec', 'web', 'sh', '-c', 'echo 0x10 1e3 --root'],
  ['exec', 'web', '--', 'ls', '-l'],
  ['exec', 'web', 'ls', '--', '-l'],
  ['exec', '-t', '-e', 'A=1', '--cwd', '/tmp', '-u', '1:2', '-g', '7', '--cap', 'CAP_KILL', '--no-new-privs', 'web', 'id'],
  ['exec', '--ignore-paused', '--preserve-fds', '2', '--cgroup', 'sub', 'web', 'true'],
  ['exec', 'web', '--', 'exec', '--', 'web'],
];

const REFUSED: string[][] = [
  [],
  ['--help'],
  ['-h'],
  ['--version'],
  ['state', '--help'],
  ['state'],
  ['state', 'a', 'b'],
  ['state', '-x', 'web'],
  ['state', '--bogus', 'web'],
  ['state', ''],
  ['--root'],
  ['--root', '/a', '--root', '/b', 'state', 'web'],
  ['--debug=true', 'state', 'web'],
  ['--log-format', 'xml', 'state', 'web'],
  ['delete', '--force', 'true', 'web'],
  ['delete', '--force=false', 'web'],
  ['delete', '-f', '-f', 'web'],
  ['kill', 'web', 'KILL', 'extra'],
  ['kill', '-aa', 'web'],
  ['list', '--format', 'yaml'],
  ['list', 'web'],
  ['create', '--preserve-fds', 'x', 'web'],
  ['create', '--preserve-fds', '0x3', 'web'],
  ['create', '--bundle', 'web'],
  ['create', '--bundle', '-b', 'web'],
  ['create', '-b=/b', 'web'],
  ['create', 'web', '--', 'x'],
  ['exec', '-e', 'A=1', '-e', 'B=2', 'web', 'ls'],
  ['exec', '--additional-gids', 'x', 'web', 'ls'],
  ['exec', '--', 'web', 'ls'],
  ['ps', 'web'],
  ['spec'],
  ['update', '--memory', '1m', 'web'],
  ['state', '--force', 'web'],
  ['--force', 'delete', 'web'],
];

describe('the fast parser', () => {
  it.each(ACCEPTED)('reads %j as yargs does', async (...args) => {
    const fast = parseFast(args);
    expect(fast).toBeDefined();
    expect(fast).toEqual(await parseWithYargs(args));
  });

  it.each(REFUSED)('leaves %j to yargs', (...args) => {
    expect(parseFast(args)).toBeUndefined();
  });

  it('keeps ids, signals and values as the strings they were', () => {
    expect(parseFast(['state', '1e3'])?.argv['container-id']).toBe('1e3');
    expect(parseFast(['kill', '0x10', '09'])?.argv).toMatchObject({ 'container-id': '0x10', signal: '09' });
    expect(parseFast(['create', '--pid-file', '1e3', '--preserve-fds', '3', '123'])?.argv).toMatchObject({ 'container-id': '123', 'pid-file': '1e3', 'preserve-fds': 3 });
  });
});

describe('the yargs command line', () => {
  it('keeps every id positional a string', async () => {
    for (const verb of ['state', 'start', 'delete', 'kill', 'pause', 'resume', 'ps', 'update', 'create', 'run', 'exec']) {
      const recording = COMMANDS.map((c) => ({ ...c, handler: (argv: Record<string, unknown>) => void (seen = structuredClone(argv)) }));
      let seen: Record<string, unknown> | undefined;
      const extra = verb === 'exec' ? ['sh'] : [];
      await buildCli([verb, '1e3', ...extra], recording).parseAsync();
      expect(seen?.['container-id'], verb).toBe('1e3');
    }
  });

  it('passes a command line after the id through untouched (exec, ps)', async () => {
    let seen: Record<string, unknown> | undefined;
    const recording = COMMANDS.map((c) => ({ ...c, handler: (argv: Record<string, unknown>) => void (seen = structuredClone(argv)) }));
    await buildCli(['exec', 'web', 'echo', '0x10', '1e3'], recording).parseAsync();
    expect(seen?.['--']).toEqual(['echo', '0x10', '1e3']);
  });

  it("reads runc's --no-pivot, --no-new-keyring, --no-subreaper and exec's --no-new-privs as flags", async () => {
    const seen = await parseWithYargs(['create', '--no-pivot', '--no-new-keyring', 'web']);
    expect(seen).toMatchObject({ argv: { 'no-pivot': true, 'no-new-keyring': true } });
    expect(await parseWithYargs(['run', '--no-subreaper', '--no-pivot', 'web'])).toMatchObject({ argv: { 'no-pivot': true, 'no-subreaper': true } });
    let exec: Record<string, unknown> | undefined;
    const recording = COMMANDS.map((c) => ({ ...c, handler: (argv: Record<string, unknown>) => void (exec = structuredClone(argv)) }));
    await buildCli(['exec', '--no-new-privs', 'web', 'ls'], recording).parseAsync();
    expect(exec?.['no-new-privs']).toBe(true);
  });

  it('still converts the options typed as numbers', async () => {
    expect(await parseWithYargs(['create', '--preserve-fds', '2', 'web'])).toMatchObject({ argv: { 'preserve-fds': 2 } });
  });
});
