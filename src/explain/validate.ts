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
import type { SpecProblem } from '../spec/problem.js';

export interface ValidationReport {
  file: string;
  errors: SpecProblem[];
  warnings: string[];
}

export function validateBundle(bundleDir: string, flags: { systemdCgroup?: boolean } = {}): ValidationReport {
  const checked = checkBundle(bundleDir);
  const report: ValidationReport = { file: checked.file, errors: [...checked.problems], warnings: [] };
  const { spec, rootfs } = checked;
  if (!spec || !rootfs) return report;
  if (spec.hooks?.prestart?.length) report.warnings.push('/hooks/prestart: prestart hooks are deprecated; use createRuntime hooks');
  const driver = selectCgroupDriver(flags);
  const host = readHostFacts(rootfs, driver.layout);
  const plan = compilePlan({
    id: '<container-id>',
    spec,
    bundle: checked.bundle,
    rootfs,
    cgroupPath: cgroupPathOrReport(driver, spec, report),
    host,
    fifoFd: 4,
    preserveFds: 0,
    // A fault the spec checks already named (at the same path) is not repeated.
    report: (path, message) => {
      if (!report.errors.some((e) => e.path === path)) report.errors.push({ path, message });
    },
  });
  report.warnings.push(...plan.warnings);
  try {
    driver.plannedWrites(spec.linux?.resources ?? {});
  } catch (err) {
    if (!(err instanceof KeelError)) throw err;
    report.errors.push({ path: '/linux/resources', message: err.message });
  }
  return report;
}

function cgroupPathOrReport(driver: CgroupDriver, config: CgroupConfig, report: ValidationReport): string {
  try {
    return driver.place(config, '<container-id>').path;
  } catch (err) {
    if (!(err instanceof KeelError)) throw err;
    report.errors.push({ path: '/linux/cgroupsPath', message: err.message });
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
