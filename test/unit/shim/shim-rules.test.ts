/**
 * The C rules of the shim's `start` (native/launch/sha256.c, json-scan.c, shim-rules.c), through
 * a small driver built here with them (shim-rules-driver.c), against outside references:
 * sha256sum and Node's crypto for SHA-256; Go's filepath.Join as its documentation states it
 * (Node's path.posix.normalize does the same cleaning but keeps a trailing '/', which Go drops);
 * the socket address containerd 1.6.20's runc shim wrote on this machine; JSON.parse for the
 * annotations; protoc's encoding of the runtime options containerd 1.6.20 was seen writing on a
 * shim's stdin for `ctr run --runtime-config-path`. The shim config's C reader (start) against
 * src/shim/shim-config.ts (Create), on the same files: neither may let through what the other refuses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { ROOT } from '../../helpers/source-imports.js';
import { decode } from '../../../src/protobuf/proto3.js';
import { Any } from '../../../src/shim/messages.js';
import { parseShimConfig, shimConfigPathOf } from '../../../src/shim/shim-config.js';

const LAUNCH = join(ROOT, 'native/launch');
let dir: string;
let driver: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keel-shim-rules-'));
  driver = join(dir, 'driver');
  const sources = ['shim-rules.c', 'json-scan.c', 'sha256.c'].map((f) => join(LAUNCH, f));
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-Wall', '-Wextra', '-Werror', '-I', LAUNCH, '-o', driver, join(ROOT, 'test/unit/shim/shim-rules-driver.c'), ...sources]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], input?: Buffer | string): { status: number; out: string } {
  const r = spawnSync(driver, args, { input: input ?? '', maxBuffer: 1 << 26 });
  if (r.status === null || r.status > 1) throw new Error(`driver ${args[0]}: status ${r.status}, ${r.stderr.toString()}`);
  return { status: r.status, out: r.stdout.toString('utf8') };
}

/** A small deterministic generator (xorshift32), so that a failure can be run again as it was. */
function generator(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return { int: (n: number) => next() % n, pick: <T>(xs: readonly T[]) => xs[next() % xs.length]!, bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => next() & 0xff)) };
}

/** Go's filepath.Join: the non-empty elements joined by '/' and cleaned; "" when all are empty. */
function goJoin(...elems: string[]): string {
  const joined = elems.filter((e) => e !== '').join('/');
  if (!joined) return '';
  const clean = posix.normalize(joined);
  return clean.length > 1 && clean.endsWith('/') ? clean.slice(0, -1) : clean;
}

describe('sha256', () => {
  it('gives what sha256sum gives for every length around the block and padding edges, and 1 MiB', () => {
    const g = generator(19);
    const lengths = [...Array.from({ length: 200 }, (_, i) => i), 447, 448, 511, 512, 1000, 4096, 1 << 20];
    const files = lengths.map((n) => {
      const f = join(dir, `data-${n}`);
      writeFileSync(f, g.bytes(n));
      return f;
    });
    const ours = run(['sha256', ...files]).out.trim().split('\n');
    const theirs = execFileSync('sha256sum', files).toString().trim().split('\n').map((l) => l.split(' ')[0]);
    expect(ours).toEqual(theirs);
    expect(ours).toHaveLength(lengths.length);
  });
});

describe('go_path_join', () => {
  it("cleans as Go's filepath.Join (fixed cases from its documented rules)", () => {
    const cases: [string[], string][] = [
      [['/run/containerd/containerd.sock', 'default', 'demo'], '/run/containerd/containerd.sock/default/demo'],
      [['/run/containerd//containerd.sock/', 'default', 'demo/'], '/run/containerd/containerd.sock/default/demo'],
      [['a', '', 'b'], 'a/b'],
      [['', ''], ''],
      [['', 'a'], 'a'],
      [['/', '..'], '/'],
      [['/a/..', '..', 'b'], '/b'],
      [['a/', '../..'], '..'],
      [['../a', '../../b'], '../../b'],
      [['.', '.'], '.'],
      [['a/./b/.', '.c', '..d', '...'], 'a/b/.c/..d/...'],
      [['//', '//'], '/'],
    ];
    const args = cases.flatMap(([elems]) => [...elems, '--']);
    expect(run(['join', ...args]).out.split('\n').slice(0, -1)).toEqual(cases.map(([, want]) => want));
  });

  it('agrees with the reference on 2000 generated paths of slashes, dots and names', () => {
    const g = generator(7);
    const parts = ['a', 'bb', '.', '..', '...', '', '/', '//', 'c.d', '.e', 'f..'];
    const cases = Array.from({ length: 2000 }, () => Array.from({ length: 1 + g.int(3) }, () => Array.from({ length: g.int(6) }, () => g.pick(parts)).join(g.pick(['/', '', '//']))));
    const out = run(['join', ...cases.flatMap((elems) => [...elems, '--'])]).out.split('\n').slice(0, -1);
    expect(out).toEqual(cases.map((elems) => goJoin(...elems)));
  });
});

describe('shim_socket_address', () => {
  it("names the socket as containerd 1.6.20's runc shim did on this machine", () => {
    // ctr -a /tmp/shimtry/ctd/containerd.sock -n shimtry run -d ... addr1, runc's shim: its bundle's "address" file.
    expect(run(['address', '/tmp/shimtry/ctd/containerd.sock', 'shimtry', 'addr1']).out).toBe('unix:///run/containerd/s/bbe149e5089c41fe7954b9c3e31d619b98f829b9043b32c401fae8cc971a492f\n');
  });

  it('is the sha256 of the Go-joined path for 1000 generated triples (UTF-8 names included)', () => {
    const g = generator(11);
    const names = ['default', 'k8s.io', 'ns', 'pod-1', 'é', '日本', 'a b', '.', '..', 'x/y', ''];
    const triples = Array.from({ length: 1000 }, () => [g.pick(['/run/containerd/containerd.sock', '/tmp//c.sock/', 'rel/c.sock', '/']), g.pick(names.filter(Boolean)), g.pick(names) + g.pick(['', '/', String(g.int(100))])]);
    const out = run(['address', ...triples.flat()]).out.split('\n').slice(0, -1);
    expect(out).toEqual(triples.map(([a, n, grp]) => `unix:///run/containerd/s/${createHash('sha256').update(goJoin(a!, n!, grp!)).digest('hex')}`));
  });
});

/** runc's shim's grouping over JSON.parse's reading of the document, as UTF-8 bytes. */
function referenceGroup(text: string, id: string): string {
  const annotations = (JSON.parse(text) as { annotations?: Record<string, unknown> }).annotations;
  for (const key of ['io.containerd.runc.v2.group', 'io.kubernetes.cri.sandbox-id']) {
    const v = annotations && typeof annotations === 'object' && !Array.isArray(annotations) ? annotations[key] : undefined;
    if (typeof v === 'string' && v) return Buffer.from(v, 'utf8').toString('utf8');
  }
  return id;
}

/** JSON text of a value, each string character written plainly or as a \u escape at random. */
function serialize(value: unknown, g: ReturnType<typeof generator>): string {
  if (typeof value === 'string') {
    let out = '"';
    for (const ch of value) {
      const code = ch.codePointAt(0)!;
      if (ch === '"' || ch === '\\' || code < 0x20 || g.int(3) === 0) {
        const units = code > 0xffff ? [0xd800 + ((code - 0x10000) >> 10), 0xdc00 + ((code - 0x10000) & 0x3ff)] : [code];
        out += units.map((u) => `\\u${u.toString(16).padStart(4, '0')}`).join('');
      } else out += ch;
    }
    return out + '"';
  }
  if (Array.isArray(value)) return `[${value.map((v) => serialize(v, g)).join(', ')}]`;
  if (value && typeof value === 'object') return `{ ${Object.entries(value).map(([k, v]) => `${serialize(k, g)}:${serialize(v, g)}`).join(',\n')} }`;
  return JSON.stringify(value);
}

describe('shim_group', () => {
  it('reads the pod annotations of 300 generated config.json documents as JSON.parse does (escapes, UTF-8, other members)', () => {
    const g = generator(3);
    const values = ['pod1', '', 'sandbox-é', '"quoted"\\', 'tab\there', '😀 pod', 'line\nbreak', '日本/x'];
    for (let i = 0; i < 300; i++) {
      const annotations: Record<string, unknown> = {};
      if (g.int(2)) annotations['io.kubernetes.cri.sandbox-id'] = g.pick(values);
      if (g.int(3) === 0) annotations['io.containerd.runc.v2.group'] = g.pick(values);
      if (g.int(2)) annotations['io.kubernetes.cri.container-type'] = 'container';
      const config: Record<string, unknown> = { ociVersion: '1.0.2', process: { args: ['sh', '-c', 'echo "}"'], env: ['A=1'] }, root: { path: 'rootfs' }, linux: { resources: { memory: { limit: -1.5e3 } }, x: [true, false, null, [], {}] } };
      if (g.int(5)) config.annotations = annotations;
      const text = serialize(config, g);
      const r = run(['group', `c${i}`], text);
      expect({ text, status: r.status, out: r.out }).toEqual({ text, status: 0, out: referenceGroup(text, `c${i}`) });
    }
  });

  it('takes the last of a member named twice, as JSON.parse does', () => {
    for (const text of [
      '{"annotations": {"io.kubernetes.cri.sandbox-id": "a", "io.kubernetes.cri.sandbox-id": "b"}}',
      '{"annotations": {"io.kubernetes.cri.sandbox-id": "a"}, "annotations": {}}',
      '{"annotations": {}, "annotations": {"io.kubernetes.cri.sandbox-id": "b"}}',
      '{"annotations": {"io.kubernetes.cri.sandbox-id": "a"}, "annotations": 5}',
      '{"\\u0061nnotations": {"io.kubernetes.cri.sandbox-i\\u0064": "\\ud83d\\ude00"}}',
      '{"annotations": {"io.kubernetes.cri.sandbox-id": "\\ud800x"}}',
      '["annotations", {"io.kubernetes.cri.sandbox-id": "a"}]',
    ]) {
      expect(run(['group', 'c'], text).out).toBe(referenceGroup(text, 'c'));
    }
  });

  it('refuses what JSON.parse refuses, in one line saying where', () => {
    const bad = ['', '{', '{"a":}', '{"a":1,}', '[1 2]', '{"a":"\u0001"}', '{"a":01}', '{"a":-}', '{"a":1.}', '{"a":1e}', '{"a":tru}', "{'a':1}", '{"a":"\\u12"}', '{"a":"\\x"}', '{} {}', '\ufeff{}', '{"a" 1}', '{"a":1 "b":2}'];
    for (const text of bad) {
      expect(() => JSON.parse(text)).toThrow();
      const r = run(['group', 'c'], text);
      expect({ text, ...r }).toMatchObject({ text, status: 1, out: expect.stringMatching(/^error: config\.json is not JSON: .+ at byte \d+\n$/) as unknown });
    }
  });

  it('refuses bytes that are not UTF-8 and nesting deeper than 512 (where JSON.parse would go on)', () => {
    expect(run(['group', 'c'], Buffer.from('{"a":"\xff"}', 'latin1')).out).toBe('error: config.json is not JSON: bytes that are not UTF-8 at byte 6\n');
    expect(run(['group', 'c'], Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d])).out).toMatch(/not UTF-8/);
    expect(run(['group', 'c'], `${'['.repeat(600)}${']'.repeat(600)}`).out).toMatch(/^error: config\.json is not JSON: nested too deep/);
    expect(run(['group', 'c'], `{"annotations":{}, "x":${'['.repeat(500)}${']'.repeat(500)}}`).out).toBe('c');
  });

  it('refuses an annotation that is not a string, naming it', () => {
    expect(run(['group', 'c'], '{"annotations": {"io.kubernetes.cri.sandbox-id": 5}}').out).toBe('error: config.json: annotations.io.kubernetes.cri.sandbox-id is not a string\n');
    expect(run(['group', 'c'], '{"annotations": {"io.containerd.runc.v2.group": {"a": "b"}}}').out).toBe('error: config.json: annotations.io.containerd.runc.v2.group is not a string\n');
  });
});

// `protoc --encode` of containerd's runtimeoptions.v1.Options and google.protobuf.Any, from the
// text beside each. The first is the byte for byte what containerd 1.6.20 wrote on a shim's stdin
// for `ctr run --runtime-config-path /tmp/ss/shim.json`, but for the path.
const hex = (s: string) => Buffer.from(s, 'hex');
const OPTIONS = {
  // type_url: "runtimeoptions.v1.Options" value: <config_path: "/etc/keel/shim.json">
  plain: hex('0a1972756e74696d656f7074696f6e732e76312e4f7074696f6e73121512132f6574632f6b65656c2f7368696d2e6a736f6e'),
  // type_url: "type.googleapis.com/runtimeoptions.v1.Options", the same value
  prefixed: hex('0a2d747970652e676f6f676c65617069732e636f6d2f72756e74696d656f7074696f6e732e76312e4f7074696f6e73121512132f6574632f6b65656c2f7368696d2e6a736f6e'),
  // the same with type_url: "io.containerd.keel.v1.config" inside the Options too (the CRI's TypeUrl)
  withTypeUrl: hex('0a1972756e74696d656f7074696f6e732e76312e4f7074696f6e7312330a1c696f2e636f6e7461696e6572642e6b65656c2e76312e636f6e66696712132f6574632f6b65656c2f7368696d2e6a736f6e'),
  // type_url: "containerd.runc.v1.Options" value: "\x0a\x01x"
  runc: hex('0a1a636f6e7461696e6572642e72756e632e76312e4f7074696f6e7312030a0178'),
  // type_url: "runtimeoptions.v1.Options" (no value: no config path)
  empty: hex('0a1972756e74696d656f7074696f6e732e76312e4f7074696f6e73'),
  // type_url: "xruntimeoptions.v1.Options" value: "\x12\x01x"
  otherName: hex('0a1a7872756e74696d656f7074696f6e732e76312e4f7074696f6e731203120178'),
};

describe('shim_options_config_path', () => {
  it('finds the ConfigPath of runtimeoptions.v1.Options, with or without a type URL prefix', () => {
    expect(run(['options'], OPTIONS.plain).out).toBe('/etc/keel/shim.json');
    expect(run(['options'], OPTIONS.prefixed).out).toBe('/etc/keel/shim.json');
    expect(run(['options'], OPTIONS.withTypeUrl).out).toBe('/etc/keel/shim.json');
  });

  it('has no config for no options, other options or options without a path', () => {
    for (const any of [Buffer.alloc(0), OPTIONS.runc, OPTIONS.empty, OPTIONS.otherName]) expect(run(['options'], any)).toEqual({ status: 0, out: 'none' });
  });

  it('refuses bytes that are not a protobuf message', () => {
    for (const bad of [OPTIONS.plain.subarray(0, 30), hex('0a'), hex('0f00'), hex('12ffffffffffffffffff01')]) {
      expect(run(['options'], bad)).toEqual({ status: 1, out: 'error: runtime options on stdin: not a protobuf Any of runtimeoptions.v1.Options\n' });
    }
  });
});

/** What the C reader prints for a config, in the driver's words: "pod false", or "error: <why>". */
function cConfig(text: string | Buffer): string {
  const r = run(['config'], text);
  return r.status === 0 ? r.out : r.out.replace(/^error: /, '').replace(/\n$/, '');
}

/** What src/shim/shim-config.ts (the long-lived shim's Create) reads from the same bytes, in the same words. */
function tsConfig(text: string | Buffer): string {
  try {
    const c = parseShimConfig(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
    return `${c.shimGroup} ${c.systemdCgroup}`;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Both readers of a shim config: their results, with a JSON syntax error's detail (each parser's own words) left out. */
function bothConfigs(text: string | Buffer): { c: string; ts: string } {
  const general = (why: string) => (why.startsWith('not JSON: ') ? 'not JSON' : why);
  return { c: general(cConfig(text)), ts: general(tsConfig(text)) };
}

describe('the shim config: shim_config_of (start) and parseShimConfig (Create)', () => {
  it('reads shimGroup (pod by default) and systemdCgroup (false by default)', () => {
    const cases: [string, string][] = [
      ['{"shimGroup": "namespace"}', 'namespace false'],
      ['{"shimGroup": "pod", "systemdCgroup": true}', 'pod true'],
      ['{"systemdCgroup": false}', 'pod false'],
      [' {"systemdCgroup" : true , "shimGroup":"namespace"}\n', 'namespace true'],
      ['{"shim\\u0047roup": "n\\u0061mespace", "systemdCgroup": true}', 'namespace true'],
      ['{}', 'pod false'],
    ];
    for (const [text, want] of cases) expect({ text, c: cConfig(text), ts: tsConfig(text) }).toEqual({ text, c: want, ts: want });
  });

  it('refuses other values, other keys and documents that are not an object, in the same words', () => {
    const cases: [string, string][] = [
      ['{"shimGroup": "container"}', 'shimGroup must be "pod" or "namespace"'],
      ['{"shimGroup": true}', 'shimGroup must be "pod" or "namespace"'],
      ['{"shimGroup": null}', 'shimGroup must be "pod" or "namespace"'],
      ['{"systemdCgroup": "true"}', 'systemdCgroup must be true or false'],
      ['{"systemdCgroup": 1}', 'systemdCgroup must be true or false'],
      ['{"systemdCgroup": null}', 'systemdCgroup must be true or false'],
      ['{"systemdCgroup": [true]}', 'systemdCgroup must be true or false'],
      // runc's option as containerd's config.toml spells it: a misspelt key is no silent default.
      ['{"SystemdCgroup": true}', 'unknown key "SystemdCgroup": the keys are shimGroup and systemdCgroup'],
      ['{"shimGroup": "pod", "other": [1]}', 'unknown key "other": the keys are shimGroup and systemdCgroup'],
      ['{"a\\"b\\\\c\\n\\u0000\\u007f": 1}', 'unknown key "a\\"b\\\\c\\u000a\\u0000\\u007f": the keys are shimGroup and systemdCgroup'],
      ['{"\\ud800x": 1}', 'unknown key "\ufffdx": the keys are shimGroup and systemdCgroup'],
      ['{"é": 1, "z": 2}', 'unknown key "é": the keys are shimGroup and systemdCgroup'],
      ['[]', 'not a JSON object'],
      ['"namespace"', 'not a JSON object'],
      ['null', 'not a JSON object'],
    ];
    for (const [text, want] of cases) expect({ text, c: cConfig(text), ts: tsConfig(text) }).toEqual({ text, c: want, ts: want });
    const notJson = ['', 'shimGroup = "namespace"', '{"shimGroup": "pod",}', '\ufeff{}', '{"shimGroup": "pod"} x'];
    for (const text of notJson) expect({ text, ...bothConfigs(text) }).toEqual({ text, c: 'not JSON', ts: 'not JSON' });
    expect(cConfig('shimGroup = "namespace"')).toMatch(/^not JSON: unexpected character at byte 0$/);
    expect(cConfig(Buffer.from('{"shimGroup": "pod\xff"}', 'latin1'))).toBe('not JSON: bytes that are not UTF-8 at byte 18');
    expect(tsConfig(Buffer.from('{"shimGroup": "pod\xff"}', 'latin1'))).toBe('not JSON: bytes that are not UTF-8');
  });

  it('agree on 3000 generated files: the same settings, or a refusal in the same words', () => {
    const g = generator(23);
    const keys = ['shimGroup', 'systemdCgroup', 'shimGroup', 'systemdCgroup', 'SystemdCgroup', 'shimgroup', 'systemd_cgroup', 'other', 'a"b', 'é', 'tab\t', '\u0000', '\ud83d\ude00', ''];
    const values: unknown[] = ['pod', 'namespace', 'Pod', 'namespace ', '', true, false, null, 0, 1, -2.5e3, 'true', [], {}, [true], { shimGroup: 'pod' }, { other: 1 }];
    const files = Array.from({ length: 3000 }, (_, i) => {
      // A third of them made of good members only, so that every kind of acceptance is common too.
      const good = g.int(3) === 0;
      const member = (): [string, unknown] => {
        if (!good) return [g.pick(keys), g.pick(values)];
        const key = g.pick(['shimGroup', 'systemdCgroup']);
        return [key, key === 'shimGroup' ? g.pick(['pod', 'namespace']) : g.pick([true, false])];
      };
      const doc = Array.from({ length: g.int(4) }, member);
      // serialize() writes each string's characters plainly or as \u escapes at random; members named twice are kept.
      let text = `{${doc.map(([k, v]) => `${serialize(k, g)}${g.pick([':', ' : '])}${serialize(v, g)}`).join(g.pick([',', ',\n ']))}}`;
      const damage = g.int(12);
      if (damage === 0) text = text.slice(0, g.int(text.length));
      else if (damage === 1) text = `[${text}]`;
      else if (damage === 2) text = text.replace('}', ',}');
      else if (damage === 3) text = `\ufeff${text}`;
      const bytes = damage === 4 ? Buffer.concat([Buffer.from(text.slice(0, -1)), Buffer.from([0xc3]), Buffer.from('}')]) : Buffer.from(text, 'utf8');
      const file = join(dir, `shim-config-${i}.json`);
      writeFileSync(file, bytes);
      return { file, text, bytes };
    });
    const general = (why: string) => (why.startsWith('not JSON: ') ? 'not JSON' : why);
    const c = run(['config', ...files.map((f) => f.file)]).out.split('\n').slice(0, -1).map((line) => general(line.replace(/^error: /, '')));
    expect(c).toHaveLength(files.length);
    const outcomes = new Map<string, number>();
    files.forEach(({ text, bytes }, i) => {
      const ts = general(tsConfig(bytes));
      expect({ text, c: c[i] }).toEqual({ text, c: ts });
      const outcome = ts.replace(/".*"/, 'KEY');
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
    // The files cover each outcome, each often (a generator that stopped doing so would test little).
    expect([...outcomes.keys()].sort()).toEqual([
      'namespace false',
      'namespace true',
      'not JSON',
      'not a JSON object',
      'pod false',
      'pod true',
      'shimGroup must be KEY',
      'systemdCgroup must be true or false',
      'unknown key KEY: the keys are shimGroup and systemdCgroup',
    ]);
    expect(Math.min(...outcomes.values())).toBeGreaterThan(20);
  });

  it("finds the shim config's path in Create's options as start finds it on stdin", () => {
    for (const any of [OPTIONS.plain, OPTIONS.prefixed, OPTIONS.withTypeUrl, OPTIONS.runc, OPTIONS.empty, OPTIONS.otherName]) {
      expect(shimConfigPathOf(decode(Any, any)) ?? 'none').toBe(run(['options'], any).out);
    }
    expect(shimConfigPathOf(undefined)).toBeUndefined();
  });
});

describe('shim_delete_response', () => {
  // protoc --encode of containerd.task.v2.DeleteResponse's fields (pid = 1, exit_status = 2 as
  // uint32, exited_at = 3 a google.protobuf.Timestamp: int64 seconds = 1, int32 nanos = 2) from
  // the text beside each.
  it('writes what protoc writes', () => {
    // exit_status: 137 exited_at { seconds: 1765000000 nanos: 5000 }
    expect(run(['delete-response', '0', '137', '1765000000', '5000']).out).toBe('1089011a0908c086cfc906108827');
    // pid: 4242 exited_at { }
    expect(run(['delete-response', '4242', '0', '0', '0']).out).toBe('0892211a00');
    // pid: 4294967295 exit_status: 4294967295 exited_at { seconds: -1 nanos: 999999999 }
    expect(run(['delete-response', '4294967295', '4294967295', '-1', '999999999']).out).toBe('08ffffffff0f10ffffffff0f1a1108ffffffffffffffffff0110ff93ebdc03');
    // pid: 1 exit_status: 1 exited_at { seconds: 9223372036854775807 nanos: -1 }
    expect(run(['delete-response', '1', '1', '9223372036854775807', '-1']).out).toBe('080110011a1508ffffffffffffffff7f10ffffffffffffffffff01');
  });
});

describe('shim_state_root and shim_plain_id', () => {
  it("reads the root the shim's Create wrote in keel-shim.json", () => {
    const written = JSON.stringify({ root: '/run/containerd/keel/k8s.io' });
    expect(run(['state-root'], written)).toEqual({ status: 0, out: '/run/containerd/keel/k8s.io' });
    expect(run(['state-root'], '{"root": "/r\\u00e9/\\"x\\""}').out).toBe('/ré/"x"');
  });

  it('refuses a keel-shim.json without an absolute root', () => {
    for (const text of ['{}', '{"root": ""}', '{"root": "relative"}', '{"root": 1}', '{"root": "/a\\u0000b"}']) expect(run(['state-root'], text)).toEqual({ status: 1, out: 'error: no "root" path in it\n' });
    expect(run(['state-root'], '{"root": "/a",').out).toMatch(/^error: /);
  });

  it('takes the ids a state store names a directory by, no other', () => {
    expect(run(['plain-id', 'c1', 'a.b-c_d', '...', '', '.', '..', 'a/b', 'a@creating.1']).out).toBe('1\n1\n1\n0\n0\n0\n0\n0\n');
  });
});
