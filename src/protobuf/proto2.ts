/** proto2's codec (CRIU's rpc.proto): the shared wire layer with proto2's rules. */
import { decode as decodeWith, encode as encodeWith, PROTO2, type Message, type Schema } from './wire.js';

export { ProtobufError, type Field, type Message, type Scalar, type Schema } from './wire.js';

export const encode = (schema: Schema, value: Message): Buffer => encodeWith(schema, value, PROTO2);
export const decode = (schema: Schema, buf: Buffer): Message => decodeWith(schema, buf, PROTO2);
