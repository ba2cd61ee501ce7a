/**
 * D-Bus's wire format (the specification's "Marshaling" section), little-endian, pure: values to
 * bytes for a signature and back. What keel sends systemd and reads back needs the basic types,
 * arrays, structs, dict entries and variants; Unix fds (h) are not needed and are refused.
 *
 * JavaScript shapes: 64-bit integers (x, t) are bigint, other numbers number; an array of bytes
 * (ay) is a Uint8Array, other arrays and structs and dict entries are JS arrays; a variant is a
 * Variant (its signature and its value).
 */

export interface Variant {
  signature: string;
  value: unknown;
}

export class DbusMarshalError extends Error {}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };

/** The signature split into its complete types: "sa(sv)u" -> ["s", "a(sv)", "u"]. */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  let pos = 0;
  while (pos < signature.length) {
    const end = completeTypeEnd(signature, pos);
    types.push(signature.slice(pos, end));
    pos = end;
  }
  return types;
}

/** Where the complete type that starts at `pos` ends. */
function completeTypeEnd(sig: string, pos: number): number {
  const c = sig[pos];
  if (c === undefined) throw new DbusMarshalError(`signature "${sig}" ends inside a type`);
  if (c === 'a') return completeTypeEnd(sig, pos + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let p = pos + 1;
    while (sig[p] !== close) {
      if (p >= sig.length) throw new DbusMarshalError(`signature "${sig}" has no "${close}" for its "${c}"`);
      p = completeTypeEnd(sig, p);
    }
    return p + 1;
  }
  if (!(c in ALIGN)) throw new DbusMarshalError(`signature "${sig}": type "${c}" is not one keel reads or writes`);
  return pos + 1;
}

/** The members of a struct or dict entry type: "(sv)" -> ["s", "v"]. */
const members = (type: string) => splitSignature(type.slice(1, -1));

/** Writes values, keeping each aligned to the message's start (`base` bytes were written before). */
export class Writer {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly base = 0) {}

  get offset(): number {
    return this.base + this.length;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  private put(buf: Buffer): void {
    this.chunks.push(buf);
    this.length += buf.length;
  }

  align(n: number): void {
    const pad = (n - (this.offset % n)) % n;
    if (pad) this.put(Buffer.alloc(pad));
  }

  private fixed(size: number, write: (b: Buffer) => void): void {
    this.align(size);
    const b = Buffer.alloc(size);
    write(b);
    this.put(b);
  }

  /** The values of a signature, one per complete type. */
  writeAll(signature: string, values: readonly unknown[]): void {
    const types = splitSignature(signature);
    if (types.length !== values.length) throw new DbusMarshalError(`signature "${signature}" has ${types.length} values, given ${values.length}`);
    types.forEach((t, i) => this.write(t, values[i]));
  }

  write(type: string, value: unknown): void {
    const bad = (want: string) => new DbusMarshalError(`type "${type}" takes ${want}, not ${typeof value === 'bigint' ? `${value}n` : JSON.stringify(value)}`);
    const int = (min: bigint, max: bigint): bigint => {
      if ((typeof value !== 'number' || !Number.isInteger(value)) && typeof value !== 'bigint') throw bad('an integer');
      const n = BigInt(value);
      if (n < min || n > max) throw bad(`an integer from ${min} to ${max}`);
      return n;
    };
    switch (type[0]) {
      case 'y':
        return this.fixed(1, (b) => b.writeUInt8(Number(int(0n, 255n))));
      case 'b':
        if (typeof value !== 'boolean') throw bad('a boolean');
        return this.fixed(4, (b) => b.writeUInt32LE(value ? 1 : 0));
      case 'n':
        return this.fixed(2, (b) => b.writeInt16LE(Number(int(-0x8000n, 0x7fffn))));
      case 'q':
        return this.fixed(2, (b) => b.writeUInt16LE(Number(int(0n, 0xffffn))));
      case 'i':
        return this.fixed(4, (b) => b.writeInt32LE(Number(int(-(2n ** 31n), 2n ** 31n - 1n))));
      case 'u':
        return this.fixed(4, (b) => b.writeUInt32LE(Number(int(0n, 2n ** 32n - 1n))));
      case 'x':
        return this.fixed(8, (b) => b.writeBigInt64LE(int(-(2n ** 63n), 2n ** 63n - 1n)));
      case 't':
        return this.fixed(8, (b) => b.writeBigUInt64LE(int(0n, 2n ** 64n - 1n)));
      case 'd':
        if (typeof value !== 'number') throw bad('a number');
        return this.fixed(8, (b) => b.writeDoubleLE(value));
      case 's':
      case 'o': {
        if (typeof value !== 'string') throw bad('a string');
        const text = Buffer.from(value, 'utf8');
        this.write('u', text.length);
        return this.put(Buffer.concat([text, Buffer.alloc(1)]));
      }
      case 'g': {
        if (typeof value !== 'string') throw bad('a signature string');
        const text = Buffer.from(value, 'ascii');
        if (text.length > 255) throw bad('a signature of at most 255 characters');
        return this.put(Buffer.concat([Buffer.from([text.length]), text, Buffer.alloc(1)]));
      }
      case 'v': {
        const v = value as Variant;
        if (typeof v !== 'object' || v === null || typeof v.signature !== 'string') throw bad('a Variant ({ signature, value })');
        if (splitSignature(v.signature).length !== 1) throw bad('a variant of exactly one complete type');
        this.write('g', v.signature);
        return this.write(v.signature, v.value);
      }
      case '(':
      case '{': {
        const types = members(type);
        if (!Array.isArray(value) || value.length !== types.length) throw bad(`an array of ${types.length} members`);
        this.align(8);
        return types.forEach((t, i) => this.write(t, value[i]));
      }
      case 'a': {
        const element = type.slice(1);
        const items: unknown[] | undefined = element === 'y' && value instanceof Uint8Array ? [...value] : Array.isArray(value) ? value : undefined;
        if (!items) throw bad('an array');
        this.align(4);
        const lengthAt = this.chunks.length;
        this.put(Buffer.alloc(4)); // the length, filled in below
        this.align(ALIGN[element[0]!]!); // the padding before the first element is not counted
        const start = this.length;
        for (const item of items) this.write(element, item);
        this.chunks[lengthAt]!.writeUInt32LE(this.length - start);
        return;
      }
      default:
        throw new DbusMarshalError(`type "${type}" is not one keel writes`);
    }
  }
}

/** Reads values from a buffer, aligned to the message's start (`base` is the buffer's offset in it). */
export class Reader {
  pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly base = 0,
  ) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  align(n: number): void {
    this.pos += (n - ((this.base + this.pos) % n)) % n;
  }

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DbusMarshalError(`message ends ${this.pos + n - this.buf.length} bytes early`);
  }

  private fixed<T>(size: number, read: (at: number) => T): T {
    this.align(size);
    this.need(size);
    const v = read(this.pos);
    this.pos += size;
    return v;
  }

  readAll(signature: string): unknown[] {
    return splitSignature(signature).map((t) => this.read(t));
  }

  read(type: string): unknown {
    const b = this.buf;
    switch (type[0]) {
      case 'y':
        return this.fixed(1, (at) => b.readUInt8(at));
      case 'b':
        return this.fixed(4, (at) => b.readUInt32LE(at) !== 0);
      case 'n':
        return this.fixed(2, (at) => b.readInt16LE(at));
      case 'q':
        return this.fixed(2, (at) => b.readUInt16LE(at));
      case 'i':
        return this.fixed(4, (at) => b.readInt32LE(at));
      case 'u':
        return this.fixed(4, (at) => b.readUInt32LE(at));
      case 'x':
        return this.fixed(8, (at) => b.readBigInt64LE(at));
      case 't':
        return this.fixed(8, (at) => b.readBigUInt64LE(at));
      case 'd':
        return this.fixed(8, (at) => b.readDoubleLE(at));
      case 's':
      case 'o': {
        const length = this.read('u') as number;
        this.need(length + 1);
        const text = b.toString('utf8', this.pos, this.pos + length);
        this.pos += length + 1;
        return text;
      }
      case 'g': {
        this.need(1);
        const length = b.readUInt8(this.pos++);
        this.need(length + 1);
        const text = b.toString('ascii', this.pos, this.pos + length);
        this.pos += length + 1;
        return text;
      }
      case 'v': {
        const signature = this.read('g') as string;
        return { signature, value: this.read(signature) } satisfies Variant;
      }
      case '(':
      case '{':
        this.align(8);
        return members(type).map((t) => this.read(t));
      case 'a': {
        const length = this.read('u') as number;
        const element = type.slice(1);
        this.align(ALIGN[element[0]!]!);
        this.need(length);
        const end = this.pos + length;
        if (element === 'y') {
          const bytes = new Uint8Array(b.subarray(this.pos, end));
          this.pos = end;
          return bytes;
        }
        const items: unknown[] = [];
        while (this.pos < end) items.push(this.read(element));
        if (this.pos !== end) throw new DbusMarshalError(`an array of "${element}" overran its length`);
        return items;
      }
      default:
        throw new DbusMarshalError(`type "${type}" is not one keel reads`);
    }
  }
}
