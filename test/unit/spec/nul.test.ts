import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { findNul } from '../../../src/spec/nul.js';
import { checkConfigSemantics } from '../../../src/spec/semantic.js';
import type { Spec } from '../../../src/spec/types.js';
import { planInput } from '../../helpers/plan.js';

function problemsWith(change: (s: Spec) => void) {
  const spec = structuredClone(defaultSpec());
  change(spec);
  return checkConfigSemantics(spec);
}

const NUL = 'contains a NUL byte (\\u0000), where the kernel would cut the string short: remove it';

describe('strings with U+0000', () => {
  it('are refused in config.json, naming the JSON pointer of the first', () => {
    expect(problemsWith((s) => s.process!.env!.push('A=x\u0000y'))).toEqual([{ path: '/process/env/2', message: NUL }]);
    expect(problemsWith((s) => (s.process!.args = ['a\u0000b']))).toEqual([{ path: '/process/args/0', message: NUL }]);
    expect(problemsWith((s) => (s.process!.cwd = '/tmp\u0000/x'))).toEqual([{ path: '/process/cwd', message: NUL }]);
    expect(problemsWith((s) => (s.mounts![0]!.destination = '/proc\u0000x'))).toEqual([{ path: '/mounts/0/destination', message: NUL }]);
    expect(problemsWith((s) => (s.linux!.sysctl = { 'net.ipv4/x\u0000': '1' }))).toEqual([{ path: '/linux/sysctl/net.ipv4~1x\u0000', message: NUL }]);
  });
  it('are left alone in annotations, which never reach the kernel', () => {
    expect(problemsWith((s) => (s.annotations = { a: 'x\u0000y' }))).toEqual([]);
  });
  it('are found through arrays, objects and escaped member names', () => {
    expect(findNul({ a: [{ 'b/c~': ['ok', 'n\u0000'] }] })).toBe('/a/0/b~1c~0/1');
    expect(findNul({ a: ['ok'], b: 1, c: null })).toBeUndefined();
  });
  it("are refused in a process that no semantic check has seen (exec's), before anything runs", () => {
    expect(() => compilePlan(planInput((s) => (s.process!.args = ['sh', '-c', 'echo a\u0000b'])))).toThrow(`config.json: /process/args/2: ${NUL}`);
  });
});
