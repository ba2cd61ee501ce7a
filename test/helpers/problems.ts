/** Runs a compiler step with a collecting sink (as `keel validate` does) and returns "path: message" lines. */
import type { ReportProblem } from '../../src/spec/problem.js';

export function collectProblems(step: (report: ReportProblem) => unknown): string[] {
  const out: string[] = [];
  step((path, message) => out.push(`${path}: ${message}`));
  return out;
}
