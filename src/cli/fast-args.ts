/**
 * A tiny parser for the plain, runc-style command lines engines send over and over (`--root R
 * state ID`, `--root R --log L --log-format json create --bundle B --pid-file P ID`, ...), so that
 * those invocations need not load yargs at all. It reads exactly the shapes it is sure of and gives
 * up (undefined) on anything else: help, version, unknown or repeated flags, `--flag=value` on a
 * boolean, a missing or extra positional, a bad choice. yargs then parses the same arguments and
 * gives the usual answer or the usual error. The flags come from flags.ts, as yargs' do, and
 * test/unit/cli/fast-args.test.ts checks that both parsers agree.
 */
import { GLOBAL_FLAGS, HOT_VERBS, type Flag, type FlagTable } from './flags.js';

export interface FastParse {
  verb: string;
  /** What yargs would hand the verb's handler: each flag and positional under its own name, exec's command under "--". */
  argv: Record<string, string | number | boolean | string[]>;
}

export function parseFast(args: readonly string[]): FastParse | undefined {
  // The verb is the first argument that is neither a global flag nor a global flag's value.
  let verbAt = -1;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      verbAt = i;
      break;
    }
    const found = lookup(GLOBAL_FLAGS, arg);
    if (!found) return undefined;
    if (found.flag.type !== 'boolean' && !arg.includes('=')) i++;
  }
  const verb = verbAt >= 0 ? args[verbAt]! : undefined;
  const spec = verb !== undefined && Object.hasOwn(HOT_VERBS, verb) ? HOT_VERBS[verb]! : undefined;
  if (!spec) return undefined;

  const argv: FastParse['argv'] = {};
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (i === verbAt) continue;
    const arg = args[i]!;
    if (!arg.startsWith('-')) {
      positionals.push(arg);
      // As in runc, exec's options end at the container id: the rest, after an optional "--", is the command.
      if (spec.command && i > verbAt && positionals.length === spec.positionals.length) {
        const command = args.slice(args[i + 1] === '--' ? i + 2 : i + 1);
        if (command.length > 0) argv['--'] = command;
        break;
      }
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && !arg.startsWith('--')) return undefined;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const found = lookup(GLOBAL_FLAGS, name) ?? (i > verbAt ? lookup(spec.flags, name) : undefined);
    if (!found || Object.hasOwn(argv, found.key)) return undefined;
    const { key, flag } = found;
    if (flag.type === 'boolean') {
      // `--force=false`, `--force true`: yargs reads these its own way; leave them to it.
      if (eq > 0 || args[i + 1] === 'true' || args[i + 1] === 'false') return undefined;
      argv[key] = true;
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else {
      value = args[++i];
      if (value === undefined || value.startsWith('-') || i === verbAt) return undefined;
    }
    const typed = typedValue(flag, value);
    if (typed === undefined) return undefined;
    argv[key] = typed;
  }

  const wanted = spec.positionals;
  const required = wanted.filter((p) => !p.optional).length;
  if (positionals.length < required || positionals.length > wanted.length || positionals.some((p) => p === '')) return undefined;
  wanted.forEach((p, i) => {
    const value = positionals[i] ?? p.default;
    if (value !== undefined) argv[p.name] = value;
  });
  for (const table of [GLOBAL_FLAGS, spec.flags] as FlagTable[]) {
    for (const [key, flag] of Object.entries(table)) if (!Object.hasOwn(argv, key) && flag.default !== undefined) argv[key] = flag.default;
  }
  return { verb: verb!, argv };
}

/** The flag an argument names, by its long name (`--force`) or its one-letter alias (`-f`). */
function lookup(table: FlagTable, arg: string): { key: string; flag: Flag } | undefined {
  const name = arg.startsWith('--') ? arg.slice(2).split('=', 1)[0]! : undefined;
  if (name !== undefined) return Object.hasOwn(table, name) ? { key: name, flag: table[name]! } : undefined;
  if (arg.length !== 2) return undefined;
  for (const [key, flag] of Object.entries(table)) if (flag.alias === arg[1]) return { key, flag };
  return undefined;
}

function typedValue(flag: Flag, value: string): string | number | undefined {
  if (flag.choices && !flag.choices.includes(value)) return undefined;
  if (flag.type === 'number') return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
  return value;
}
