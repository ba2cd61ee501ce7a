/**
 * `keel update`'s input: the limits of `--resources` (a file, or "-" for stdin, as Docker sends
 * them) checked against config.json's linux.resources schema, with runc's flags (--memory,
 * --pids-limit, ...) over them. cgroup-verbs.ts writes the result.
 */
import { readFileSync } from 'node:fs';

import { ConfigError, pointerUnder } from '../spec/problem.js';
import type { LinuxResources } from '../spec/types.js';
import { validateConfig } from '../spec/validate.js';
import { SPEC_VERSION } from '../spec/version.js';
import { KeelError } from '../util/errors.js';

/** `resourcesFile` read and checked (undefined when not given), then `fromFlags` merged over it. */
export function updateResources(resourcesFile: string | undefined, fromFlags: LinuxResources): LinuxResources {
  if (resourcesFile === undefined) return fromFlags;
  const what = `--resources ${resourcesFile}`;
  let given: unknown;
  try {
    given = JSON.parse(readFileSync(resourcesFile === '-' ? 0 : resourcesFile, 'utf8'));
  } catch (err) {
    throw new KeelError(`${what}: ${err instanceof SyntaxError ? `invalid JSON: ${err.message}` : (err as Error).message}`);
  }
  // The same schema as config.json's linux.resources: a value of the wrong type never reaches a cgroup file.
  const [problem] = validateConfig({ ociVersion: SPEC_VERSION, linux: { resources: given } });
  if (problem) throw new ConfigError(pointerUnder('/linux/resources', problem.path), problem.message, what);
  return { ...(given as LinuxResources), ...fromFlags };
}
