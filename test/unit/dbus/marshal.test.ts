/**
 * D-Bus's wire format against the specification's rules: alignment to the message's start, array
 * lengths without their leading padding, variants carrying their signature; and messages framed
 * from a stream that arrives in pieces. A real bus reads these bytes in test/integration/dbus-client.test.ts.
 */
import { describe, expect, it } from 'vitest';

import { Reader, splitSignature, Writer } from '../../../src/dbus/marshal.js';
import { decodeMessage, encodeMessage, messageLength, MessageType } from '../../../src/dbus/message.js';
import { toDbus } from '../../../src/cgroups/systemd-dbus.js';
import { parseSystemdVersion } from '../../../src/cgroups/systemd-dbus.js';

const hex = (b: Buffer) => b.toString('hex');

describe('marshal', () => {
  it('splits signatures into complete types', () => {
    expect(splitSignature('ssa(sv)a(sa(sv))')).toEqual(['s', 's', 'a(sv)', 'a(sa(sv))']);
    expect(splitSignature('a{sv}uoss')).toEqual(['a{sv}', 'u', 'o', 's', 's']);
    expect(() => splitSignature('a(sv')).toThrow(/no "\)"/);
    expect(() => splitSignature('h')).toThrow(/type "h"/);
  });

  it('aligns to the message, not to the value: a uint64 after a byte starts at offset 8', () => {
    const w = new Writer(0);
    w.writeAll('yt', [1, 2n]);
    expect(hex(w.bytes())).toBe('01' + '00'.repeat(7) + '0200000000000000');
  });

  it("counts an array's length without the padding between the length and the first struct", () => {
    const w = new Writer(0);
    w.write('a(yy)', [[1, 2]]);
    // length 2 (uint32), four bytes of padding to 8, then the struct's two bytes
    expect(hex(w.bytes())).toBe('02000000' + '00000000' + '0102');
    const empty = new Writer(0);
    empty.write('a(yy)', []);
    expect(hex(empty.bytes())).toBe('00000000' + '00000000');
  });

  it('writes a string with its length and NUL, a signature with a byte length, a variant with its signature', () => {
    const w = new Writer(0);
    w.writeAll('sgv', ['ab', 'as', { signature: 'u', value: 7 }]);
    expect(hex(w.bytes())).toBe('02000000' + '616200' + '02' + '617300' + '01' + '7500' + '0000' + '07000000');
  });

  it('reads back what it writes: a(sv) of every type a unit property uses, and a(sa(sv))', () => {
    const props = toDbus([
      { name: 'Description', type: 's', value: 'keel container web' },
      { name: 'PIDs', type: 'au', value: [1234] },
      { name: 'Delegate', type: 'b', value: true },
      { name: 'MemoryMax', type: 't', value: 67108864n },
      { name: 'AllowedCPUs', type: 'ay', value: new Uint8Array([0b101]) },
      { name: 'DeviceAllow', type: 'a(ss)', value: [['/dev/char/1:3', 'rwm']] },
      { name: 'Wants', type: 'as', value: ['a.slice'] },
    ]);
    const w = new Writer(0);
    w.writeAll('ssa(sv)a(sa(sv))', ['keel-web.scope', 'replace', props, [['aux.scope', props]]]);
    const back = new Reader(w.bytes()).readAll('ssa(sv)a(sa(sv))');
    expect(back).toEqual(['keel-web.scope', 'replace', props, [['aux.scope', props]]]);
  });

  it('refuses a value that does not fit its type, naming the type', () => {
    expect(() => new Writer().write('u', -1)).toThrow(/type "u" takes an integer from 0/);
    expect(() => new Writer().write('t', 2n ** 64n)).toThrow(/type "t"/);
    expect(() => new Writer().write('b', 1)).toThrow(/type "b" takes a boolean/);
    expect(() => new Writer().write('(ss)', ['a'])).toThrow(/an array of 2 members/);
    expect(() => new Reader(Buffer.from('0500000061', 'hex')).read('s')).toThrow(/ends 5 bytes early/);
  });
});

describe('messages', () => {
  it('frames a call as the specification lays it out, and reads it back', () => {
    const bytes = encodeMessage({ type: MessageType.MethodCall, serial: 1, destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
    // 'l', METHOD_CALL, no flags, version 1, no body, serial 1
    expect(hex(bytes.subarray(0, 12))).toBe('6c010001' + '00000000' + '01000000');
    expect(bytes.length % 8).toBe(0);
    expect(messageLength(bytes)).toBe(bytes.length);
    expect(decodeMessage(bytes)).toMatchObject({ type: 1, serial: 1, member: 'Hello', path: '/org/freedesktop/DBus', body: [] });
  });

  it('knows the length from the first 16 bytes, and a body follows the header padded to 8', () => {
    const m = encodeMessage({ type: MessageType.Signal, serial: 9, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'JobRemoved', signature: 'uoss', body: [42, '/org/freedesktop/systemd1/job/42', 'keel-web.scope', 'done'] });
    expect(messageLength(m.subarray(0, 15))).toBeUndefined();
    expect(messageLength(m.subarray(0, 16))).toBe(m.length);
    expect(decodeMessage(m).body).toEqual([42, '/org/freedesktop/systemd1/job/42', 'keel-web.scope', 'done']);
    expect(() => messageLength(Buffer.concat([Buffer.from('B'), m.subarray(1)]))).toThrow(/big-endian/);
  });

  it("reads systemd's version as a number", () => {
    expect(parseSystemdVersion('252.39-1~deb12u2')).toBe(252);
    expect(parseSystemdVersion('v257')).toBe(257);
    expect(parseSystemdVersion('unknown')).toBe(0);
  });
});
