/**
 * The shape of src/ that the design relies on, read from the imports themselves: the folders form
 * no cycle (each can be understood, and changed, from the ones below it), and the plan compiler
 * is pure (spec in, ops out: no process, file or native call, so every policy is unit-testable
 * and `keel explain`/`validate` run it without side effects).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { SPEC_VERSION } from '../../src/spec/version.js';
import { allSourceImports, folderCycles, importsOf, ROOT, runtimeImportsReachedFrom, sourceFiles } from '../helpers/source-imports.js';

/** What a pure module must not load: processes, the file system, keel's native bindings. */
const IMPURE = /^(node:)?(child_process|fs|fs\/promises)$|^src\/native\/|^ffi-rs$/;

function impureLoads(files: readonly string[]): string[] {
  const imports = allSourceImports();
  return files.flatMap((file) =>
    [...runtimeImportsReachedFrom(file, imports)].filter(([name]) => IMPURE.test(name)).map(([name, chain]) => `${chain.join(' -> ')} loads ${name}`),
  );
}

describe('folders of src/', () => {
  it('import one another without a cycle', () => {
    expect(folderCycles(allSourceImports())).toEqual([]);
  });

  it('(the check finds a cycle and names the imports that make it)', () => {
    const imports = [
      ...importsOf('src/plan/compile.ts', "import { resourceWarnings } from '../cgroups/resources.js';"),
      ...importsOf('src/cgroups/resources.ts', "import type { ReportProblem } from '../plan/problems.js';"),
      ...importsOf('src/cgroups/resources.ts', "import type { Spec } from '../spec/types.js';"),
    ];
    expect(folderCycles(imports)).toEqual([
      ['cgroups -> plan (src/cgroups/resources.ts imports src/plan/problems.ts)', 'plan -> cgroups (src/plan/compile.ts imports src/cgroups/resources.ts)'],
    ]);
  });
});

describe('src/plan/', () => {
  it('loads nothing that spawns, touches files or calls native code, directly or through what it imports', () => {
    const plan = sourceFiles().filter((f) => f.startsWith('src/plan/'));
    expect(plan.length).toBeGreaterThan(10);
    expect(impureLoads(plan)).toEqual([]);
  });

  it('(the check follows run-time imports through other folders, not type-only ones, and sees dynamic loads)', () => {
    const imports = [
      ...importsOf('src/plan/a.ts', "import { hookState } from '../hooks/run.js'; import type { Spec } from '../spec/types.js';"),
      ...importsOf('src/hooks/run.ts', "import type { Stats } from 'node:fs'; import { log } from '../util/log.js';"),
      ...importsOf('src/util/log.ts', "const m = await import('node:fs'); createRequire(import.meta.url)('node:child_process');"),
      ...importsOf('src/spec/types.ts', "import { readFileSync } from 'node:fs';"),
    ];
    const reached = runtimeImportsReachedFrom('src/plan/a.ts', imports);
    expect(reached.get('node:fs')).toEqual(['src/plan/a.ts', 'src/hooks/run.ts', 'src/util/log.ts']);
    expect(reached.get('node:child_process')).toEqual(['src/plan/a.ts', 'src/hooks/run.ts', 'src/util/log.ts']);
    expect(reached.has('src/spec/types.ts')).toBe(false);
  });
});

describe('the runtime-spec version keel implements', () => {
  it('is written once, in src/spec/version.ts (SPEC_VERSION), and read from there', () => {
    const literal = new RegExp(`\\b${SPEC_VERSION.replace(/\./g, '\\.')}\\b`);
    const writers = sourceFiles().filter((f) => literal.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(writers).toEqual(['src/spec/version.ts']);
  });
});
