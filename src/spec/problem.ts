// One thing wrong with a spec document, located by JSON pointer so that a user can find it.

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
