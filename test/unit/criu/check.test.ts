/** The verdict on `criu check` is one line that names the cause: CRIU's first error, not what it led to. */
import { describe, expect, it } from 'vitest';

import { criuVerdict } from '../../../src/criu/check.js';

// `criu check` of Debian's CRIU 3.17.1 on a 6.18 kernel, as printed (stderr).
const VDSO_FAILURE = `Error (criu/vdso.c:381): vdso: Unexpected rt vDSO area bounds
Error (criu/vdso.c:613): vdso: Failed to fill self vdso symtable
Error (criu/kerndat.c:1615): kerndat_vdso_fill_symtable failed when initializing kerndat.
Error (criu/crtools.c:260): Could not initialize kernel features detection.
`;

describe('criuVerdict', () => {
  it('names a missing binary and what to do', () => {
    expect(criuVerdict('criu', { errorCode: 'ENOENT', status: null, output: '' })).toEqual({
      ready: false,
      reason: 'CRIU is not installed: "criu" was not found (install the criu package, or name its binary with --criu PATH)',
    });
  });

  it("quotes CRIU's first error line without its source location", () => {
    expect(criuVerdict('/usr/sbin/criu', { status: 1, output: `\n${VDSO_FAILURE}` })).toEqual({
      ready: false,
      reason: 'CRIU cannot checkpoint on this host: "/usr/sbin/criu check" fails with "vdso: Unexpected rt vDSO area bounds"',
    });
  });

  it('falls back to the first line, then to the exit status, when CRIU printed no Error line', () => {
    expect(criuVerdict('criu', { status: 1, output: 'Looks bad.\n' })).toMatchObject({ reason: expect.stringContaining('fails with "Looks bad."') });
    expect(criuVerdict('criu', { status: 3, output: '\n' })).toMatchObject({ reason: expect.stringContaining('fails with "exit status 3"') });
  });

  it('passes with "Looks good." and reads the version', () => {
    expect(criuVerdict('criu', { status: 0, output: 'Looks good.\n' }, { status: 0, output: 'Version: 3.17.1\n' })).toEqual({ ready: true, version: '3.17.1' });
  });
});
