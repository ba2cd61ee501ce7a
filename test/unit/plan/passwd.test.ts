import { describe, expect, it } from 'vitest';

import { compilePlan } from '../../../src/plan/compile.js';
import { homeOf } from '../../../src/plan/passwd.js';
import { planInput } from '../../helpers/plan.js';

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\n# comment\nbroken line\nweb:x:33:33::/var/www:/bin/false\nweb2:x:33:33::/srv:/bin/false\nodd:x:44:44::relative:/bin/sh\n';

describe('homeOf', () => {
  it("finds the first entry for a uid, as runc's lookup", () => {
    expect(homeOf(PASSWD, 0)).toBe('/root');
    expect(homeOf(PASSWD, 33)).toBe('/var/www');
  });
  it('gives nothing for an unknown uid or a home that is not an absolute path', () => {
    expect(homeOf(PASSWD, 1000)).toBeUndefined();
    expect(homeOf(PASSWD, 44)).toBeUndefined();
    expect(homeOf('', 0)).toBeUndefined();
  });
});

describe('HOME for a process without one', () => {
  const envOf = (edit: Parameters<typeof planInput>[0], homeOfUid?: (uid: number) => string | undefined) =>
    compilePlan(planInput(edit, { homeOf: homeOfUid })).ops.find((o) => o.name === 'exec')!.args.env as string[];
  it("is the user's home in the container's /etc/passwd, asked for the process's uid", () => {
    const asked: number[] = [];
    expect(envOf((s) => (s.process!.user = { uid: 33, gid: 33 }), (uid) => (asked.push(uid), uid === 33 ? '/var/www' : undefined))).toContain('HOME=/var/www');
    expect(asked).toEqual([33]);
  });
  it('is "/" when the user has no entry', () => {
    expect(envOf(() => {}, () => undefined)).toContain('HOME=/');
  });
  it('is left alone when process.env sets it (passwd not even read)', () => {
    expect(envOf((s) => s.process!.env!.push('HOME=/mine'), () => {
      throw new Error('read');
    })).toContain('HOME=/mine');
  });
});
