/**
 * CRIU's RPC messages as keel encodes and decodes them, against protoc 3.21 (Debian 12's
 * protobuf-compiler) on CRIU 3.17.1's images/rpc.proto:
 *   printf '<text>' | protoc --encode=criu_req rpc.proto | xxd -p
 */
import { describe, expect, it } from 'vitest';

import { decode, encode } from '../../../src/protobuf/proto2.js';
import { CRIU_REQ, CRIU_RESP, ReqType } from '../../../src/criu/rpc-messages.js';

describe('CRIU RPC messages', () => {
  it('encode a dump request byte for byte as protoc does, a false flag and a negative int32 included', () => {
    // type: DUMP opts { images_dir_fd: 7 pid: 1234 leave_running: false tcp_established: true log_level: 4
    //   log_file: "dump.log" root: "/run/r" ext_mnt { key: "/etc/hosts" val: "/etc/hosts" } manage_cgroups_mode: SOFT
    //   external: "mnt[/a]:/a" empty_ns: 1073741824 inherit_fd { key: "pipe:[5]" fd: -1 } } notify_success: true
    const protoc =
      '08011267080710d209180028014804520864756d702e6c6f676a062f72756e2f72ba01180a0a2f6574632f686f737473120a2f6574632f686f737473' +
      'da01150a08706970653a5b355d10ffffffffffffffffff01900203aa020a6d6e745b2f615d3a2f61b00280808080041801';
    const req = {
      type: ReqType.DUMP,
      opts: {
        imagesDirFd: 7, pid: 1234, leaveRunning: false, tcpEstablished: true, logLevel: 4, logFile: 'dump.log', root: '/run/r',
        extMnt: [{ key: '/etc/hosts', val: '/etc/hosts' }], inheritFd: [{ key: 'pipe:[5]', fd: -1 }], manageCgroupsMode: 3,
        external: ['mnt[/a]:/a'], emptyNs: 0x40000000,
      },
      notifySuccess: true,
    };
    expect(encode(CRIU_REQ, req).toString('hex')).toBe(protoc);
    expect(decode(CRIU_REQ, Buffer.from(protoc, 'hex'))).toEqual(req);
  });

  it('decode the responses protoc encodes: a notify, and a failure with its errno and message', () => {
    // type: NOTIFY success: true notify { script: "post-dump" pid: 42 }
    expect(decode(CRIU_RESP, Buffer.from('080610012a0d0a09706f73742d64756d70102a', 'hex'))).toEqual({ type: ReqType.NOTIFY, success: true, notify: { script: 'post-dump', pid: 42 } });
    // type: RESTORE success: false cr_errno: -5 cr_errmsg: "boom" restore { pid: 99 }
    expect(decode(CRIU_RESP, Buffer.from('080210002202086338fbffffffffffffffff014a04626f6f6d', 'hex'))).toEqual({ type: ReqType.RESTORE, success: false, restore: { pid: 99 }, crErrno: -5, crErrmsg: 'boom' });
  });

  it('skip fields keel does not list, of every wire type, and refuse a truncated message', () => {
    // field 99 varint, field 98 fixed64, field 97 fixed32, then type: CHECK
    const unknown = Buffer.from('98060191060102030405060708ad060102030408 03'.replace(/ /g, ''), 'hex');
    expect(decode(CRIU_RESP, unknown)).toEqual({ type: ReqType.CHECK });
    expect(() => decode(CRIU_RESP, Buffer.from('4a05626f', 'hex'))).toThrow('field runs past the end of the message');
  });
});
