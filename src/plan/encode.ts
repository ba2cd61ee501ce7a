import type { PlanOp } from './ops.js';

const MAGIC = 'KEELPLAN';
const VERSION = 1;

/** Serializes a plan in the format native/include/keel-plan.h describes. */
export function encodePlan(plan: readonly PlanOp[]): Buffer {
  const chunks: Buffer[] = [];
  const header = Buffer.alloc(16);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(plan.length, 12);
  chunks.push(header);

  for (const op of plan) {
    const head = Buffer.alloc(12 + op.ints.length * 8);
    head.writeUInt32LE(op.code, 0);
    head.writeUInt32LE(op.ints.length, 4);
    head.writeUInt32LE(op.strs.length, 8);
    op.ints.forEach((value, i) => head.writeBigInt64LE(BigInt.asIntN(64, value), 12 + i * 8));
    chunks.push(head);
    for (const str of op.strs) {
      const bytes = typeof str === 'string' ? Buffer.from(str, 'utf8') : Buffer.from(str);
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length, 0);
      chunks.push(len, bytes, Buffer.from([0]));
    }
  }
  return Buffer.concat(chunks);
}
