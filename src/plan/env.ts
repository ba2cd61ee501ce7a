/**
 * The process environment as runc gives it: one entry per name, with the value given last, at
 * the place the name first appears (runc 1.1 sets each entry in turn with os.Setenv, so a later
 * one replaces the value in place). Passing duplicates on would let getenv(), which takes the
 * first, disagree with what the config meant. An entry without "=" is kept as it is.
 */
export function dedupeEnv(env: readonly string[]): string[] {
  const at = new Map<string, number>();
  const out: string[] = [];
  for (const entry of env) {
    const eq = entry.indexOf('=');
    const name = eq < 0 ? entry : entry.slice(0, eq);
    const i = at.get(name);
    if (i === undefined) {
      at.set(name, out.length);
      out.push(entry);
    } else {
      out[i] = entry;
    }
  }
  return out;
}
