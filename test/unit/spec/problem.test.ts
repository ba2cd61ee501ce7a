import { describe, expect, it } from 'vitest';

import { ConfigError, formatProblem, pointerUnder, throwProblem, throwProblemIn } from '../../../src/spec/problem.js';
import { KeelError } from '../../../src/util/errors.js';

describe('config problems', () => {
  it('are one line naming the file and the JSON pointer, thrown or formatted', () => {
    expect(formatProblem({ path: '/process', message: 'missing required field "cwd"' })).toBe('config.json: /process: missing required field "cwd"');
    expect(formatProblem({ path: '', message: 'not an object' }, 'b/config.json')).toBe('b/config.json: not an object');
    const err = new ConfigError('/linux/sysctl', '"a" is not a sysctl name');
    expect(err).toBeInstanceOf(KeelError);
    expect([err.message, err.path, err.detail]).toEqual(['config.json: /linux/sysctl: "a" is not a sysctl name', '/linux/sysctl', '"a" is not a sysctl name']);
    expect(() => throwProblem('/x', 'y')).toThrow('config.json: /x: y');
    expect(() => throwProblemIn('/b/config.json')('/x', 'y')).toThrow('/b/config.json: /x: y');
  });

  it('name a field of a document that holds one object of config.json by its own pointer', () => {
    expect(pointerUnder('/linux/resources', '/linux/resources/pids/limit')).toBe('/pids/limit');
    expect(pointerUnder('/linux/resources', '/linux/resources')).toBe('/');
    expect(pointerUnder('/process', '/processes/0')).toBe('/processes/0');
    expect(pointerUnder('/process', '/linux/seccomp')).toBe('/linux/seccomp');
  });
});
