/** GVariant text, as runc's org.systemd.property.* annotations carry unit properties (runc's docs/systemd.md examples among them). */
import { describe, expect, it } from 'vitest';

import { parseGVariant } from '../../../src/cgroups/gvariant.js';
import { annotationProperties } from '../../../src/cgroups/systemd-unit.js';

describe('parseGVariant', () => {
  it.each([
    ['uint64 123456789', { type: 't', value: 123456789n }],
    ["'inactive-or-failed'", { type: 's', value: 'inactive-or-failed' }],
    ['"say \\"hi\\"\\n"', { type: 's', value: 'say "hi"\n' }],
    ["'caf\\u00e9'", { type: 's', value: 'café' }],
    ['true', { type: 'b', value: true }],
    ['boolean false', { type: 'b', value: false }],
    ['252', { type: 'i', value: 252 }],
    ['-7', { type: 'i', value: -7 }],
    ['1.5', { type: 'd', value: 1.5 }],
    ['@t 5', { type: 't', value: 5n }],
    ['byte 0x10', { type: 'y', value: 16 }],
    ['int64 -9000000000', { type: 'x', value: -9000000000n }],
    ['[1, 2,3]', { type: 'ai', value: [1, 2, 3] }],
    ["['a', 'b']", { type: 'as', value: ['a', 'b'] }],
    ['@as []', { type: 'as', value: [] }],
    ['@au [4, 5]', { type: 'au', value: [4, 5] }],
    ['[byte 1, 2]', { type: 'ay', value: new Uint8Array([1, 2]) }],
    ['  uint32   7  ', { type: 'u', value: 7 }],
  ])('%s', (text, expected) => {
    expect(parseGVariant(text)).toEqual(expected);
  });

  it.each([
    ['[]', /an empty array needs its type/],
    ['uint32 -1', /-1 does not fit type "u"/],
    ['2147483648', /does not fit type "i"/],
    ["'open", /without its closing quote/],
    ['{1: 2}', /"\{1:" is not an integer/],
    ['1 2', /unexpected "2" after the value/],
    ["[1, 'a']", /a string where a value of type "i" belongs/],
    ['@a{sv} []', /type "a\{sv\}" is not one a unit property takes/],
    ['uint64 true', /a value of type "b" where one of type "t" belongs/],
    ['', /no value/],
  ])('refuses %j', (text, why) => {
    expect(() => parseGVariant(text)).toThrow(why);
  });
});

describe('org.systemd.property.* annotations', () => {
  it('takes runc\'s documented examples, and leaves other annotations alone', () => {
    expect(
      annotationProperties({
        'org.systemd.property.TimeoutStopUSec': 'uint64 123456789',
        'org.systemd.property.CollectMode': "'inactive-or-failed'",
        'io.kubernetes.cri.container-type': 'container',
      }),
    ).toEqual([
      { name: 'TimeoutStopUSec', type: 't', value: 123456789n },
      { name: 'CollectMode', type: 's', value: 'inactive-or-failed' },
    ]);
  });

  it('turns a ...Sec property, in seconds, into its USec twin in microseconds (as runc)', () => {
    expect(annotationProperties({ 'org.systemd.property.TimeoutStopSec': '252' })).toEqual([{ name: 'TimeoutStopUSec', type: 't', value: 252000000n }]);
    expect(annotationProperties({ 'org.systemd.property.RuntimeMaxSec': 'double 1.5' })).toEqual([{ name: 'RuntimeMaxUSec', type: 't', value: 1500000n }]);
    // Only after a lowercase letter: "CPUQuotaPerSecUSec" already is microseconds, and "USec" names stay.
    expect(annotationProperties({ 'org.systemd.property.CPUQuotaPerSecUSec': 'uint64 10000' })[0]!.name).toBe('CPUQuotaPerSecUSec');
  });

  it('refuses a bad name or value, naming the annotation', () => {
    expect(() => annotationProperties({ 'org.systemd.property.Foo1': 'true' })).toThrow(/^config\.json: \/annotations\/org\.systemd\.property\.Foo1: "Foo1" is not a systemd property name/);
    expect(() => annotationProperties({ 'org.systemd.property.Ab': 'true' })).toThrow(/"Ab" is not a systemd property name/);
    expect(() => annotationProperties({ 'org.systemd.property.CollectMode': 'inactive' })).toThrow(/CollectMode: "inactive" is not a GVariant value .*: "inactive" is not an integer/);
    expect(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': "'5s'" })).toThrow(/TimeoutStopSec is in seconds: give a number, not a value of type "s"/);
    expect(() => annotationProperties({ 'org.systemd.property.TimeoutStopSec': '-5' })).toThrow(/give a number of them, not -5/);
  });
});
