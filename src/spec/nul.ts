/**
 * Strings with a NUL byte: the kernel (execve, chdir, mount, open) reads a C string up to the
 * first NUL, so "A=x\u0000y" would silently become "A=x" and "/tmp\u0000/x" would become "/tmp".
 * A config must say what it means, so such a string is refused, wherever it is.
 */

export const NUL_MESSAGE = 'contains a NUL byte (\\u0000), where the kernel would cut the string short: remove it';

/** JSON pointer of the first string (or member name) holding U+0000 in `value`, under `at`; undefined if none. */
export function findNul(value: unknown, at = '', skip: (pointer: string) => boolean = () => false): string | undefined {
  if (skip(at)) return undefined;
  if (typeof value === 'string') return value.includes('\0') ? at : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${at}/${i}`, skip);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, member] of Object.entries(value)) {
      const pointer = `${at}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (key.includes('\0')) return pointer;
      const found = findNul(member, pointer, skip);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
