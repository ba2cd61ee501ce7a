import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { compileExecPlan } from '../../../src/plan/compile-exec.js';
import { APPLIED, REFUSED, REFUSED_WITH_PARENT, WARNED } from '../../../src/spec/coverage.js';
import { compilePlan } from '../../../src/plan/compile.js';
import { planInput } from '../../helpers/plan.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { checkConfigSemantics } from '../../../src/spec/semantic.js';
import { validateConfig } from '../../../src/spec/validate.js';
import { collectProblems } from '../../helpers/problems.js';
import { schemaPointers } from '../../helpers/schema-walk.js';

const fields = schemaPointers('spec-schemas', 'config.schema.json');
const tables = { APPLIED: Object.keys(APPLIED), WARNED: Object.keys(WARNED), REFUSED: Object.keys(REFUSED), REFUSED_WITH_PARENT };

/** A config with `value` at a pointer whose "*" segments become "0" (an index) or "x" (a key). */
function withField(pointer: string, value: unknown): Record<string, unknown> {
  const doc = defaultSpec() as unknown as Record<string, unknown>;
  const parts = pointer.split('/').slice(1);
  let node: Record<string, unknown> = doc;
  parts.forEach((part, i) => {
    const key = part === '*' ? (Array.isArray(node) ? '0' : 'x') : part;
    if (i === parts.length - 1) node[key] = value;
    else node = (node[key] ??= parts[i + 1] === '*' && /Mappings$|^mounts$/.test(part) ? [] : {}) as Record<string, unknown>;
  });
  return doc;
}

/** Values the schemas take, for the refused fields that are not plain objects. */
const SAMPLES: Record<string, unknown> = {
  '/process/commandLine': 'cmd.exe /c dir',
  '/process/user/username': 'ContainerUser',
};

describe('config.json coverage: every field is applied, warned about or refused', () => {
  it('finds the fields of runtime-spec 1.3 for Linux in spec-schemas/ (the walk sees the whole tree)', () => {
    for (const p of ['/linux/netDevices/*/name', '/mounts/*/uidMappings/*/hostID', '/process/execCPUAffinity/final', '/linux/resources/rdma/*/hcaObjects', '/linux/seccomp/syscalls/*/args/*/valueTwo', '/windows']) {
      expect(fields).toContain(p);
    }
    expect(fields.size).toBeGreaterThan(220);
  });

  it('leaves no field of the schemas out of the tables', () => {
    const listed = new Set(Object.values(tables).flat());
    expect([...fields].filter((p) => !listed.has(p)).sort()).toEqual([]);
  });

  it('lists each field in one table only, and none the schemas lack', () => {
    const all = Object.values(tables).flat();
    expect(all.filter((p, i) => all.indexOf(p) !== i)).toEqual([]);
    expect(all.filter((p) => !fields.has(p))).toEqual([]);
  });

  it('names modules that exist, and ops the compiler has, as where each applied field is carried out', () => {
    const opNames = new Set([...readFileSync('src/plan/ops.ts', 'utf8').matchAll(/OpCode\.[A-Z_]+,\s*'([a-z-]+)'/g)].map((m) => m[1]));
    for (const [pointer, where] of Object.entries({ ...APPLIED, ...WARNED })) {
      for (const [, file] of where.matchAll(/([a-z-]+\/[a-z-]+\.ts)/g)) expect(existsSync(`src/${file}`), `${pointer}: src/${file}`).toBe(true);
      // "(op, op)" after a module: each is an op of the plan.
      for (const [, list] of where.matchAll(/\(([a-z-]+(?:, [a-z-]+)*)\)/g)) for (const name of list!.split(', ')) expect(opNames.has(name), `${pointer}: op ${name}`).toBe(true);
    }
  });

  it('lists a field as refused with its parent only below a refused field', () => {
    for (const p of REFUSED_WITH_PARENT) expect(Object.keys(REFUSED).some((r) => p.startsWith(r + '/')), p).toBe(true);
  });

  it('refuses intelRdt where resctrl is not mounted (this machine; a MUST), takes it where it is, and refuses a closID that is not one directory', () => {
    const problems = (resctrlMounted: boolean, closID = 'c') => collectProblems((report) => compilePlan({ ...planInput((s) => (s.linux!.intelRdt = { closID }), { resctrlMounted }), report }));
    expect(problems(false)).toEqual(['/linux/intelRdt: this host has no resctrl file system (/sys/fs/resctrl is not mounted): remove the field, or mount resctrl']);
    expect(problems(true)).toEqual([]);
    expect(problems(true, '../x')).toEqual([expect.stringMatching(/^\/linux\/intelRdt\/closID: "..\/x" is not a resctrl group name/)]);
  });

  it.each(Object.keys(REFUSED))('refuses %s where it appears, naming it, before anything is created', (pointer) => {
    const doc = withField(pointer, SAMPLES[pointer] ?? {});
    // The schema takes it: the refusal is keel's, with the reason.
    expect(validateConfig(doc).filter((e) => !e.path.startsWith('/mounts'))).toEqual([]);
    const problems = checkConfigSemantics(doc as never);
    const concrete = pointer.replace('*', '0');
    expect(problems.map((p) => p.path)).toContain(concrete);
    expect(problems.find((p) => p.path === concrete)!.message).toMatch(/remove the field/);
  });

  it('refuses the process fields in exec\'s --process too', () => {
    const process = { ...defaultSpec().process!, commandLine: 'cmd.exe /c dir' };
    const problems = collectProblems((report) => compileExecPlan({ process, namespaces: {}, host: { rlimitCeiling: () => undefined }, preserveFds: 0, report }));
    expect(problems[0]).toMatch(/^\/process\/commandLine: is for Windows containers/);
  });

  it('takes a config without refused fields', () => {
    expect(checkConfigSemantics(defaultSpec())).toEqual([]);
  });
});
