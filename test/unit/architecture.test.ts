/**
 * The shape of src/ that the design relies on, read from the imports themselves: the folders form
 * no cycle (each can be understood, and changed, from the ones below it).
 */
import { describe, expect, it } from 'vitest';

import { allSourceImports, folderCycles, importsOf } from '../helpers/source-imports.js';

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
