import { KeelError } from '../util/errors.js';

/** A fault in config.json, at a JSON path: one line, "config.json: /path: what is wrong". */
export class ConfigError extends KeelError {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`config.json: ${path}: ${detail}`);
  }
}

/**
 * Where the compiler reports a fault. `create` stops at the first (the default sink throws);
 * `keel validate` collects them all, and the compiler carries on past each one.
 */
export type ReportProblem = (path: string, message: string) => void;

export const throwProblem: ReportProblem = (path, message) => {
  throw new ConfigError(path, message);
};
