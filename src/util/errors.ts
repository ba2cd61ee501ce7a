import { strerror } from './errno.js';

/** Marks a KeelError of any of keel's bundles (dist/keel-systemd.cjs has its own copy of this class). */
const KEEL_ERROR = Symbol.for('keel.error');

/**
 * An error meant for the user: one line that names the cause and, where it helps, what to do.
 * Anything else that reaches the top level is a bug in keel and is reported as one.
 */
export class KeelError extends Error {
  readonly [KEEL_ERROR] = true;

  constructor(message: string) {
    super(oneLine(message));
    this.name = 'KeelError';
  }

  /** `instanceof KeelError` holds for another bundle's KeelError too; a subclass checks its own prototype chain. */
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== KeelError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && KEEL_ERROR in value;
  }
}

/**
 * Control characters from a config (a newline in a mount option) must not split the one line, and
 * a lone UTF-16 surrogate becomes U+FFFD, as stderr's UTF-8 shows it, so the --log JSON says the same.
 */
function oneLine(message: string): string {
  return wellFormed(message)
    // eslint-disable-next-line no-control-regex -- control characters are what it escapes
    .replace(/[\x00-\x1f\x7f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** Each lone UTF-16 surrogate as U+FFFD (String.prototype.toWellFormed, which ES2023 lacks). */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Turns a failed fs call into a KeelError that names the path and the reason in words. */
export function fsError(what: string, path: string, err: unknown): KeelError {
  const code = errnoCode(err);
  const reason = code ? strerror(code) : String((err as Error)?.message ?? err);
  return new KeelError(`${what} "${path}": ${reason}`);
}
