/**
 * `keel validate`: every fault `create` would stop at, not just the first, plus warnings. It runs
 * the very checks create runs (checkBundle, then the compiler with a collecting sink), so the two
 * cannot disagree about what is accepted.
 */
import type { CgroupConfig, CgroupDriver } from '../cgroups/driver.js';
import { selectCgroupDriver } from '../cgroups/select-driver.js';
import { readHostFacts } from '../host/facts.js';
import { KeelError } from '../util/errors.js';
import { compilePlan } from '../plan/compile.js';
import { checkBundle } from '../spec/load.js';
import { ConfigError, type SpecProblem } from '../spec/problem.js';

export interface ValidationReport {
  file: string;
  errors: SpecProblem[];
  warnings: string[];
}

export function validateBundle(bundleDir: string, flags: { systemdCgroup?: boolean; rootless?: boolean } = {}): ValidationReport {
  const checked = checkBundle(bundleDir);
  const report: ValidationReport = { file: checked.file, errors: [...checked.problems], warnings: [] };
  const { spec, rootfs } = checked;
  if (!spec || !rootfs) return report;
  if (spec.hooks?.prestart?.length) report.warnings.push('/hooks/prestart: prestart hooks are deprecated; use createRuntime hooks');
  const driver = selectCgroupDriver(flags);
  const host = readHostFacts(rootfs, driver.layout);
  const cgroupPath = cgroupPathOrReport(driver, spec, report);
  const plan = compilePlan({
    id: '<container-id>',
    spec,
    bundle: checked.bundle,
    rootfs,
    cgroupPath,
    host,
    fifoFd: 4,
    preserveFds: 0,
    // A fault the spec checks already named (at the same path) is not repeated; one about a part
    // of the config the schema refused (a value keel put in its place) is not reported at all.
    report: (path, message) => {
      const problem = checked.locate({ path, message });
      if (problem && !report.errors.some((e) => e.path === problem.path)) report.errors.push(problem);
    },
  });
  report.warnings.push(...plan.warnings);
  try {
    report.errors.push(...driver.unsupportedLimits(spec.linux?.resources ?? {}, cgroupPath).flatMap((p) => checked.locate(p) ?? []));
  } catch (err) {
    if (!(err instanceof KeelError)) throw err;
    const problem = checked.locate({ path: '/linux/resources', message: err.message });
    if (problem) report.errors.push(problem);
  }
  return report;
}

function cgroupPathOrReport(driver: CgroupDriver, config: CgroupConfig, report: ValidationReport): string {
  try {
    return driver.place(config, '<container-id>').path;
  } catch (err) {
    if (!(err instanceof KeelError)) throw err;
    report.errors.push(err instanceof ConfigError ? { path: err.path, message: err.detail } : { path: '/linux/cgroupsPath', message: err.message });
    return '/keel/<container-id>';
  }
}

export function formatValidation(report: ValidationReport): string {
  const lines = [
    ...report.errors.map((e) => `error: ${e.path || '/'}: ${e.message}`),
    ...report.warnings.map((w) => `warning: ${w}`),
  ];
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  lines.push(
    report.errors.length
      ? `${report.file}: ${count(report.errors.length, 'error')}, ${count(report.warnings.length, 'warning')}: keel create would refuse it`
      : `${report.file}: valid${report.warnings.length ? `, with ${count(report.warnings.length, 'warning')}` : ''}`,
  );
  return lines.join('\n') + '\n';
}
