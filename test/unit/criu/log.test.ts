/** A failed CRIU request is reported with CRIU's first error, from a real CRIU 3.17 log line's shape. */
import { describe, expect, it } from 'vitest';

import { firstLogError } from '../../../src/criu/log.js';

describe('firstLogError', () => {
  it("takes the first error of the log, without CRIU's timestamp and source location", () => {
    const log = '(00.001) Version: 3.17.1\n(00.120) Error (criu/sk-inet.c:191): inet: Connected TCP socket, consider using --tcp-established option.\n(00.121) Error (criu/cr-dump.c:1): Dumping FAILED.\n';
    expect(firstLogError(log)).toBe('inet: Connected TCP socket, consider using --tcp-established option.');
    expect(firstLogError('(00.001) all fine\n')).toBeUndefined();
  });
});

describe('criuFailure', () => {
  it("words CRIU's cr_errmsg (its own log line, as CRIU 3.17 sends it) without location or newline, and names the log", async () => {
    const { criuFailure } = await import('../../../src/criu/log.js');
    const resp = { type: 1, success: false, crErrmsg: 'Error (criu/sk-inet.c:189): inet: Connected TCP socket, consider using --tcp-established option.\n' };
    expect(criuFailure(resp, '/nonexistent', 'dump.log')).toBe('CRIU failed: inet: Connected TCP socket, consider using --tcp-established option. (its log: /nonexistent/dump.log)');
  });
});
