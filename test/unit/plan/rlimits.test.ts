import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { encodePlan } from '../../../src/plan/encode.js';
import { compileRlimits, RLIM_INFINITY } from '../../../src/plan/rlimits.js';
import { planInput } from '../../helpers/plan.js';
import { collectProblems } from '../../helpers/problems.js';

/** As config.json arrives: JSON.parse turns 18446744073709551615 into the double 2^64. */
const parsed = (json: string) => JSON.parse(json) as { type: string; soft: number; hard: number };

describe('rlimit values beyond 2^53', () => {
  it('reads 18446744073709551615 (and anything JSON.parse makes 2^64 or more) as RLIM_INFINITY', () => {
    const [core] = compileRlimits([parsed('{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":1000}')]);
    expect(core).toEqual({ name: 'RLIMIT_CORE', resource: 4, soft: 1000n, hard: RLIM_INFINITY });
    const [both] = compileRlimits([parsed('{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":18446744073709551614}')]);
    expect(both?.soft).toBe(RLIM_INFINITY);
    expect(compileRlimits([{ type: 'RLIMIT_CORE', soft: 1e30, hard: 1e30 }])[0]?.hard).toBe(RLIM_INFINITY);
  });

  it('encodes unlimited as (rlim_t)-1 and says "unlimited"', () => {
    const spec = planInput((s) => (s.process!.rlimits = [parsed('{"type":"RLIMIT_CORE","hard":18446744073709551615,"soft":1000}')]));
    const op = compilePlan(spec).ops.find((o) => o.name === 'setrlimit')!;
    expect(op.what).toBe('set RLIMIT_CORE to soft 1000, hard unlimited');
    expect(op.ints).toEqual([4n, 1000n, RLIM_INFINITY]);
    expect(() => encodePlan([op])).not.toThrow();
  });

  it('refuses other values above 2^53, which cannot be read exactly, naming the field', () => {
    const problems = collectProblems((report) =>
      compileRlimits([parsed('{"type":"RLIMIT_CORE","hard":9007199254740993,"soft":1}'), parsed('{"type":"RLIMIT_FSIZE","hard":10,"soft":-1}')], () => undefined, report),
    );
    expect(problems).toEqual([
      '/process/rlimits/0/hard: 9007199254740992 is above 2^53 and cannot be read exactly: use an integer from 0 to 9007199254740991, or 18446744073709551615 for unlimited',
      '/process/rlimits/1/soft: -1 is not a limit: use an integer from 0 to 9007199254740991, or 18446744073709551615 for unlimited',
    ]);
  });

  it("still says the host's ceiling when keel cannot raise a hard limit, unlimited included", () => {
    expect(() => compileRlimits([parsed('{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":1024}')], () => 20000n)).toThrow(
      "config.json: /process/rlimits/0/hard: RLIMIT_NOFILE hard limit unlimited is above this host's 20000, and keel lacks CAP_SYS_RESOURCE to raise it: use at most 20000",
    );
  });
});
