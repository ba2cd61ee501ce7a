/**
 * The home directory of a uid in an /etc/passwd text ("name:password:uid:gid:gecos:home:shell"),
 * the first entry with that uid, as runc's user lookup; undefined when there is none (or the entry
 * gives no absolute home), and the caller falls back to "/".
 */
export function homeOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#') || fields[2] !== String(uid)) continue;
    const home = fields[5]!;
    return home.startsWith('/') && !home.includes('\0') ? home : undefined;
  }
  return undefined;
}
