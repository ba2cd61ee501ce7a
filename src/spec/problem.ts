// A fault in a spec document (config.json, or the linux.resources that `keel update` reads),
// located by JSON pointer so that a user can find it. The one home of this idea: the schema
// checks return SpecProblems, the plan compiler and the cgroup and seccomp compilers report
// them, and every message about one is written by formatProblem.
import { KeelError } from '../util/errors.js';

export interface SpecProblem {
  /** JSON pointer to the offending value, such as "/process/args"; "" for the document itself. */
  path: string;
  /** What was expected and, where short, what was found. */
  message: string;
}

/** One line: `config.json: /process: missing required field "cwd"`. */
export function formatProblem(problem: SpecProblem, file = 'config.json'): string {
  return problem.path === '' ? `${file}: ${problem.message}` : `${file}: ${problem.path}: ${problem.message}`;
}

/** A SpecProblem thrown: the message is formatProblem's line; path and detail stay readable. */
export class ConfigError extends KeelError {
  constructor(
    readonly path: string,
    readonly detail: string,
    file = 'config.json',
  ) {
    super(formatProblem({ path, message: detail }, file));
  }
}

/**
 * Where a compiler reports a fault. `create` stops at the first (a sink that throws);
 * `keel validate` collects them all, and the compiler carries on past each one.
 */
export type ReportProblem = (path: string, message: string) => void;

/** A sink that throws the first problem as a ConfigError naming `file`. */
export function throwProblemIn(file: string): ReportProblem {
  return (path, message) => {
    throw new ConfigError(path, message, file);
  };
}

/** The compilers' default sink. (A function, not throwProblemIn's result: the bundler drops an unused one, keeping keel.cjs small.) */
export const throwProblem: ReportProblem = (path, message) => {
  throw new ConfigError(path, message);
};

/**
 * A pointer into config.json made relative to the object at `base`, for a document that holds
 * only that object (an exec --process file is /process, update's --resources /linux/resources):
 * "/linux/resources/pids/limit" under "/linux/resources" is "/pids/limit", and the object itself "/".
 */
export function pointerUnder(base: string, path: string): string {
  return (path.startsWith(base) && (path.length === base.length || path[base.length] === '/') ? path.slice(base.length) : path) || '/';
}
