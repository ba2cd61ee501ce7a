/**
 * A flag that takes a value, given as the last argument with none after it (`keel restore
 * --lsm-mount-context`), is refused as runc refuses it: "flag needs an argument". yargs would
 * read it as an empty string, a flag's default or nothing, and go on (or complain first about a
 * missing container id). podman runs exactly that command to learn whether a runtime can
 * restore pods. Like Go's flag package, a value flag followed by anything takes it; only the
 * last argument can lack its value. Pure: the arguments and the names that take a value.
 */

/** What yargs' getOptions() says of the command being parsed. */
export interface ParsedOptions {
  string: readonly string[];
  number: readonly string[];
  alias: Readonly<Record<string, readonly string[]>>;
}

/** Every name (and alias) of the flags that take a value. */
export function valueFlagNames(options: ParsedOptions): Set<string> {
  const names = new Set([...options.string, ...options.number]);
  for (const name of [...names]) for (const alias of options.alias[name] ?? []) names.add(alias);
  return names;
}

/** The last argument (before a "--" that starts a program's own arguments), if it is a value flag with no value. */
export function flagMissingValue(args: readonly string[], valueFlags: ReadonlySet<string>): string | undefined {
  const end = args.indexOf('--');
  const last = args[(end < 0 ? args.length : end) - 1];
  const name = last === undefined ? undefined : /^--?([^-=][^=]*)$/.exec(last)?.[1];
  return name !== undefined && valueFlags.has(name) ? last : undefined;
}
