/**
 * runc's options that keel's shim does not apply are refused, not dropped: containerd's bytes of
 * containerd.runc.v1.Options (field numbers from containerd 1.6's runtime/v2/runc/options
 * oci.proto: 3 shim_cgroup, 4 io_uid, 5 io_gid, 7 root, 9 systemd_cgroup).
 */
import { describe, expect, it } from 'vitest';

import { RuncOptions } from '../../../src/shim/messages.js';
import { decode } from '../../../src/protobuf/proto3.js';
import { unsupportedRuncOptions } from '../../../src/shim/runc-options.js';

const field = (n: number, wire: number) => (n << 3) | wire;
const str = (n: number, s: string) => Buffer.concat([Buffer.from([field(n, 2), s.length]), Buffer.from(s)]);
const varint = (n: number, v: number) => Buffer.from([field(n, 0), v]);

describe('unsupportedRuncOptions', () => {
  it('names ShimCgroup, IoUid and IoGid when containerd sets them', () => {
    const bytes = Buffer.concat([str(3, '/shims'), varint(4, 100), varint(5, 101), str(7, '/run/x')]);
    expect(unsupportedRuncOptions(decode(RuncOptions, bytes))).toEqual(['ShimCgroup', 'IoUid', 'IoGid']);
  });

  it('has nothing to say of the options the shim applies', () => {
    expect(unsupportedRuncOptions(decode(RuncOptions, Buffer.concat([str(7, '/run/x'), varint(9, 1), varint(2, 1)])))).toEqual([]);
    expect(unsupportedRuncOptions(undefined)).toEqual([]);
  });
});
