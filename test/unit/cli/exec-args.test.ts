import { describe, expect, it } from 'vitest';

import { prepareArgs as markExecCommand } from '../../../src/cli/raw-args.js';

describe('markExecCommand', () => {
  it('ends keel options at the container id, so the command keeps its own options', () => {
    expect(markExecCommand(['exec', 'web', 'sh', '-c', 'ls -l'])).toEqual(['exec', 'web', '--', 'sh', '-c', 'ls -l']);
  });

  it('skips global and exec options, with their values', () => {
    expect(markExecCommand(['--root', '/r', '--log-format=json', 'exec', '-d', '--pid-file', '/p', '-e', 'A=1', 'web', 'top', '-b'])).toEqual([
      '--root', '/r', '--log-format=json', 'exec', '-d', '--pid-file', '/p', '-e', 'A=1', 'web', '--', 'top', '-b',
    ]);
  });

  it('treats ps like exec, and reads --resources - as a value', () => {
    expect(markExecCommand(['ps', 'web', '-o', 'pid,comm'])).toEqual(['ps', 'web', '--', '-o', 'pid,comm']);
    expect(markExecCommand(['--root', '/r', 'update', '--resources', '-', 'web'])).toEqual(['--root', '/r', 'update', '--resources=-', 'web']);
  });

  it('leaves other verbs, a bare exec and an explicit "--" alone', () => {
    expect(markExecCommand(['kill', 'web', 'KILL'])).toEqual(['kill', 'web', 'KILL']);
    expect(markExecCommand(['exec', '--process', 'p.json', 'web'])).toEqual(['exec', '--process', 'p.json', 'web']);
    expect(markExecCommand(['exec', 'web', '--', 'ls'])).toEqual(['exec', 'web', '--', 'ls']);
  });

  it("reads a bare --rootless after spec as true (runc's spec flag), and leaves the global one with its value", () => {
    expect(markExecCommand(['spec', '--rootless'])).toEqual(['spec', '--rootless=true']);
    expect(markExecCommand(['spec', '--rootless', '--bundle', 'd'])).toEqual(['spec', '--rootless=true', '--bundle', 'd']);
    expect(markExecCommand(['--rootless', 'false', 'spec', '--rootless', 'false'])).toEqual(['--rootless', 'false', 'spec', '--rootless', 'false']);
  });
});
