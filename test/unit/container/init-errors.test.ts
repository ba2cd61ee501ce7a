import { describe, expect, it } from 'vitest';

import { describeOpFailure } from '../../../src/container/init-errors.js';
import { ops } from '../../../src/plan/ops.js';

const EINVAL = 22;
const EMFILE = 24;
const ETIMEDOUT = 110;
const ECANCELED = 125;

describe('describeOpFailure', () => {
  it("puts the step keel-init names between the op and errno's words", () => {
    expect(describeOpFailure(ops.pivotRoot(), EINVAL, 'mount --make-rslave the old root')).toBe(
      'pivot_root into the container root and detach the host root: mount --make-rslave the old root: invalid argument',
    );
    expect(describeOpFailure(ops.pivotRoot(), EINVAL, '')).toBe('pivot_root into the container root and detach the host root: invalid argument');
  });

  it("gives a hook's own failure as keel-init words it, and a failed call of the hook op like any other", () => {
    const hook = ops.runHook('createContainer', 0, { path: '/bin/h', timeout: 5 }, '{}');
    expect(describeOpFailure(hook, ECANCELED, '/bin/h exited with status 3')).toBe('run createContainer hook 0 "/bin/h" inside the container: /bin/h exited with status 3');
    expect(describeOpFailure(hook, ETIMEDOUT, '/bin/h did not finish within 5 s')).toBe('run createContainer hook 0 "/bin/h" inside the container: /bin/h did not finish within 5 s');
    expect(describeOpFailure(hook, EMFILE, 'pipe2')).toBe('run createContainer hook 0 "/bin/h" inside the container: pipe2: too many open files');
  });
});
