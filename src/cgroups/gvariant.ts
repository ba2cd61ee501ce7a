/**
 * A value in GVariant's text format, the part of it a unit property needs: what runc's
 * `org.systemd.property.*` annotations hold ("uint64 123456789", "'inactive-or-failed'", "true",
 * "[1, 2]", "@as []"). Booleans, numbers (an untyped integer is an int32, an untyped float a
 * double, as in GLib), strings in either quote, arrays of one type, and the type keywords and
 * "@type" annotations of those. Dictionaries, tuples, variants and maybes are refused. Pure.
 */

/** A D-Bus value: 64-bit integers as bigint, the other numbers as number. */
export type DbusValue = boolean | number | bigint | string | Uint8Array | DbusValue[];

export interface TypedValue {
  /** The D-Bus signature, e.g. "t", "s", "as". */
  type: string;
  value: DbusValue;
}

const KEYWORDS: Record<string, string> = {
  boolean: 'b',
  byte: 'y',
  int16: 'n',
  uint16: 'q',
  int32: 'i',
  uint32: 'u',
  int64: 'x',
  uint64: 't',
  double: 'd',
  string: 's',
  objectpath: 'o',
  signature: 'g',
};

/** The range of each integer type. */
const RANGES: Record<string, [bigint, bigint]> = {
  y: [0n, 255n],
  n: [-32768n, 32767n],
  q: [0n, 65535n],
  i: [-(2n ** 31n), 2n ** 31n - 1n],
  u: [0n, 2n ** 32n - 1n],
  x: [-(2n ** 63n), 2n ** 63n - 1n],
  t: [0n, 2n ** 64n - 1n],
};

export const isNumericType = (type: string) => type in RANGES || type === 'd';

export class GVariantError extends Error {}

export function parseGVariant(text: string): TypedValue {
  const p = new Parser(text);
  const v = p.value(undefined);
  p.skipSpace();
  if (!p.done()) throw new GVariantError(`unexpected "${p.rest()}" after the value`);
  return v;
}

class Parser {
  private pos = 0;
  constructor(private readonly text: string) {}

  done = () => this.pos >= this.text.length;
  rest = () => this.text.slice(this.pos);
  skipSpace(): void {
    while (!this.done() && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  /** One value, of type `hint` when the context gives one. */
  value(hint: string | undefined): TypedValue {
    this.skipSpace();
    const typeAnnotation = /^@(\S+)\s*/.exec(this.rest());
    if (typeAnnotation) {
      this.pos += typeAnnotation[0].length;
      return this.value(checkHint(hint, typeAnnotation[1]!));
    }
    const keyword = /^([a-z0-9]+)\s+/.exec(this.rest());
    if (keyword && KEYWORDS[keyword[1]!]) {
      this.pos += keyword[0].length;
      return this.value(checkHint(hint, KEYWORDS[keyword[1]!]!));
    }
    const c = this.text[this.pos];
    if (c === '[') return this.array(hint);
    if (c === "'" || c === '"') return this.string(hint);
    const word = /^[^\s,\]]+/.exec(this.rest())?.[0];
    if (!word) throw new GVariantError(this.done() ? 'no value' : `unexpected "${this.rest()}"`);
    this.pos += word.length;
    if (word === 'true' || word === 'false') return { type: checkHint(hint, 'b'), value: word === 'true' };
    return number(word, hint);
  }

  private string(hint: string | undefined): TypedValue {
    const type = hint ?? 's';
    if (type !== 's' && type !== 'o' && type !== 'g') throw new GVariantError(`a string where a value of type "${type}" belongs`);
    const quote = this.text[this.pos++]!;
    let out = '';
    for (;;) {
      if (this.done()) throw new GVariantError('a string without its closing quote');
      const c = this.text[this.pos++]!;
      if (c === quote) return { type, value: out };
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = this.text[this.pos++];
      const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', a: '\x07', '\\': '\\', "'": "'", '"': '"' };
      if (e !== undefined && simple[e] !== undefined) out += simple[e];
      else if (e === 'u' || e === 'U') {
        const digits = e === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + digits);
        if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new GVariantError(`"\\${e}" needs ${digits} hex digits`);
        out += String.fromCodePoint(parseInt(hex, 16));
        this.pos += digits;
      } else throw new GVariantError(`unknown escape "\\${e ?? ''}" in a string`);
    }
  }

  private array(hint: string | undefined): TypedValue {
    if (hint !== undefined && !hint.startsWith('a')) throw new GVariantError(`an array where a value of type "${hint}" belongs`);
    this.pos++; // [
    let element = hint?.slice(1);
    const items: DbusValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === ']' && !items.length) break;
      const item = this.value(element);
      element ??= item.type;
      items.push(item.value);
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === ',') this.pos++;
      else if (c === ']') break;
      else throw new GVariantError(this.done() ? 'an array without its closing "]"' : `unexpected "${this.rest()}" in an array`);
    }
    this.pos++; // ]
    if (element === undefined) throw new GVariantError('an empty array needs its type, e.g. "@as []"');
    return { type: `a${element}`, value: element === 'y' ? new Uint8Array(items as number[]) : items };
  }
}

function checkHint(hint: string | undefined, type: string): string {
  if (!/^a*[bynqiuxtdsog]$/.test(type)) throw new GVariantError(`type "${type}" is not one a unit property takes here (booleans, numbers, strings, arrays of them)`);
  if (hint !== undefined && hint !== type) throw new GVariantError(`a value of type "${type}" where one of type "${hint}" belongs`);
  return type;
}

function number(word: string, hint: string | undefined): TypedValue {
  const isFloat = /^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(word) && /[.eE]/.test(word);
  const type = hint ?? (isFloat ? 'd' : 'i');
  if (type === 'd') {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(word)) throw new GVariantError(`"${word}" is not a number`);
    return { type, value: Number(word) };
  }
  const range = RANGES[type];
  if (!range) throw new GVariantError(`"${word}" where a value of type "${type}" belongs`);
  const m = /^([+-]?)(0x[0-9a-fA-F]+|\d+)$/.exec(word);
  if (!m) throw new GVariantError(`"${word}" is not an integer`);
  const n = (m[1] === '-' ? -1n : 1n) * BigInt(m[2]!);
  if (n < range[0] || n > range[1]) throw new GVariantError(`${word} does not fit type "${type}" (${range[0]} to ${range[1]})`);
  return { type, value: type === 'x' || type === 't' ? n : Number(n) };
}
