import { describe, expect, it } from 'vitest';

import { activationFds, withActivationEnv } from '../../src/container/socket-activation.js';

describe('activationFds', () => {
  it('counts the fds passed to this very process', () => {
    expect(activationFds({ LISTEN_FDS: '2', LISTEN_PID: '42' }, 42)).toBe(2);
  });

  it('ignores fds meant for another process, and malformed or missing variables', () => {
    expect(activationFds({ LISTEN_FDS: '2', LISTEN_PID: '41' }, 42)).toBe(0);
    expect(activationFds({ LISTEN_FDS: '2' }, 42)).toBe(0);
    expect(activationFds({ LISTEN_FDS: 'two', LISTEN_PID: '42' }, 42)).toBe(0);
    expect(activationFds({ LISTEN_FDS: '-1', LISTEN_PID: '42' }, 42)).toBe(0);
    expect(activationFds({}, 42)).toBe(0);
  });
});

describe('withActivationEnv', () => {
  it('appends LISTEN_FDS and LISTEN_PID=1, replacing any the config had', () => {
    const proc = { cwd: '/', args: ['sh'], env: ['PATH=/bin', 'LISTEN_PID=7'] };
    expect(withActivationEnv(proc, 3).env).toEqual(['PATH=/bin', 'LISTEN_FDS=3', 'LISTEN_PID=1']);
    expect(proc.env).toEqual(['PATH=/bin', 'LISTEN_PID=7']);
  });

  it('leaves the process alone without activation fds', () => {
    const proc = { cwd: '/', args: ['sh'], env: ['LISTEN_PID=7'] };
    expect(withActivationEnv(proc, 0)).toBe(proc);
  });
});
