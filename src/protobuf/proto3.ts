/** proto3's codec (containerd's and ttrpc's messages): the shared wire layer with proto3's rules. */
import { decode as decodeWith, encode as encodeWith, PROTO3, type Message, type Schema } from './wire.js';

export { ProtobufError, type Field, type Message, type Scalar, type Schema } from './wire.js';

export const encode = (schema: Schema, value: Message): Buffer => encodeWith(schema, value, PROTO3);
export const decode = (schema: Schema, buf: Buffer): Message => decodeWith(schema, buf, PROTO3);
