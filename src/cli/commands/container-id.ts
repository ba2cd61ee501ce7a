/** The container id positional that most verbs take. */
import type { Argv } from 'yargs';

import type { GlobalArgs } from '../globals.js';

export interface IdArgs extends GlobalArgs {
  'container-id': string;
}

/** Declared as a string, so that an id like "1e3" or "0x10" is not read as a number. */
export function withId<T>(y: Argv<GlobalArgs>): Argv<T> {
  return y.positional('container-id', { type: 'string', demandOption: true }) as unknown as Argv<T>;
}
