/**
 * The C <-> TypeScript contract, checked from both sides' sources so that neither can drift:
 * - native/include/keel-plan.h (op codes, sync tags, message types, struct keel_msg, the plan
 *   header) against src/plan/ops.ts, src/plan/encode.ts and src/container/init-protocol.ts. The
 *   header's values and layout come from the C compiler itself (a small program that includes it
 *   and prints them), so what is compared is what keel-init is built with;
 * - the functions libkeel.c exports against the ffi-rs signatures src/native/libkeel.ts calls
 *   them with (names, argument count and types, return type), read with TypeScript's parser.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

import { MSG, MSG_OFFSET, MSG_SIZE } from '../../src/container/init-protocol.js';
import { PLAN_MAGIC, PLAN_VERSION } from '../../src/plan/encode.js';
import { CreateAs, MountCheck, OpCode, SyncTag } from '../../src/plan/ops.js';
import { ROOT } from '../helpers/source-imports.js';

const HEADER = join(ROOT, 'native/include/keel-plan.h');
const LIBKEEL_C = join(ROOT, 'native/lib/libkeel.c');
const LIBKEEL_TS = join(ROOT, 'src/native/libkeel.ts');

const withoutComments = (c: string) => c.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, '');

/** The members of each enum in the header, by enum name, in order. */
function headerEnums(text: string): Map<string, string[]> {
  const enums = new Map<string, string[]>();
  for (const [, name, body] of withoutComments(text).matchAll(/\benum\s+(\w+)\s*\{([^}]*)\}/g)) {
    enums.set(name!, body!.split(',').map((m) => m.trim().split(/[\s=]/)[0]!).filter(Boolean));
  }
  return enums;
}

function structFields(text: string, name: string): string[] {
  const body = withoutComments(text).match(new RegExp(`\\bstruct\\s+${name}\\s*\\{([^}]*)\\}`))?.[1];
  if (!body) throw new Error(`no struct ${name} in ${HEADER}`);
  return body.split(';').map((d) => d.trim().match(/(\w+)\s*(\[[^\]]*\])?$/)?.[1]).filter((f): f is string => !!f);
}

/** What the C compiler makes of the header: each enum member's value, the struct's layout, the plan header. */
interface CompiledHeader {
  values: Map<string, number>;
  msgSize: number;
  msgOffsets: Map<string, number>;
  magic: string;
  version: number;
}

function compileHeader(enums: Map<string, string[]>, fields: string[]): CompiledHeader {
  const dir = mkdtempSync(join(tmpdir(), 'keel-contract-'));
  try {
    const lines = [
      ...[...enums.values()].flat().map((m) => `printf("value %s %lld\\n", "${m}", (long long)${m});`),
      'printf("size %zu\\n", sizeof(struct keel_msg));',
      ...fields.map((f) => `printf("offset %s %zu\\n", "${f}", offsetof(struct keel_msg, ${f}));`),
      'printf("magic %s\\n", KEEL_PLAN_MAGIC);',
      'printf("version %d\\n", KEEL_PLAN_VERSION);',
    ];
    writeFileSync(join(dir, 'print.c'), `#include <stddef.h>\n#include <stdio.h>\n#include "keel-plan.h"\nint main(void)\n{\n${lines.join('\n')}\nreturn 0;\n}\n`);
    execFileSync(process.env.CC ?? 'cc', ['-Wall', '-Werror', '-I', join(ROOT, 'native/include'), '-o', join(dir, 'print'), join(dir, 'print.c')]);
    const out = execFileSync(join(dir, 'print'), { encoding: 'utf8' }).trim().split('\n').map((l) => l.split(' '));
    const pick = (kind: string) => out.filter(([k]) => k === kind);
    return {
      values: new Map(pick('value').map(([, n, v]) => [n!, Number(v)])),
      msgSize: Number(pick('size')[0]![1]),
      msgOffsets: new Map(pick('offset').map(([, n, v]) => [n!, Number(v)])),
      magic: pick('magic')[0]![1]!,
      version: Number(pick('version')[0]![1]),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The members of `enumName` whose names start with `prefix`, prefix removed, with their values. */
function members(header: CompiledHeader, enums: Map<string, string[]>, enumName: string, prefix: string, except: string[] = []): Record<string, number> {
  const names = enums.get(enumName);
  if (!names) throw new Error(`no enum ${enumName} in ${HEADER}`);
  return Object.fromEntries(names.filter((n) => !except.includes(n)).map((n) => [n.startsWith(prefix) ? n.slice(prefix.length) : n, header.values.get(n)!]));
}

const camel = (s: string) => s.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

describe('native/include/keel-plan.h and the TypeScript that speaks it', () => {
  const text = readFileSync(HEADER, 'utf8');
  const enums = headerEnums(text);
  const fields = structFields(text, 'keel_msg');
  let header: CompiledHeader;
  beforeAll(() => {
    header = compileHeader(enums, fields);
  });

  it('agree on every op code (OP_MAX is the C side\'s end marker)', () => {
    const codes = members(header, enums, 'keel_op_code', 'OP_', ['OP_MAX']);
    expect(Object.keys(codes).length).toBeGreaterThan(30);
    expect(OpCode).toEqual(codes);
    expect(header.values.get('OP_MAX')).toBeGreaterThan(Math.max(...Object.values(OpCode)));
  });

  it('agree on the sync tags, the mount creation kinds and the mount checks', () => {
    expect(SyncTag).toEqual(members(header, enums, 'keel_sync_tag', 'SYNC_'));
    expect(CreateAs).toEqual(members(header, enums, 'keel_create_as', 'CREATE_'));
    expect(MountCheck).toEqual(members(header, enums, 'keel_mount_check', 'MOUNT_'));
  });

  it('agree on the message types and on struct keel_msg, byte for byte', () => {
    expect(MSG).toEqual(members(header, enums, 'keel_msg_type', 'MSG_'));
    expect(MSG_SIZE).toBe(header.msgSize);
    expect(MSG_OFFSET).toEqual(Object.fromEntries([...header.msgOffsets].map(([f, at]) => [camel(f), at])));
  });

  it('agree on the plan header', () => {
    expect([PLAN_MAGIC, PLAN_VERSION]).toEqual([header.magic, header.version]);
  });

  it('(the header is read whole: every enum is compared above)', () => {
    expect([...enums.keys()].sort()).toEqual(['keel_create_as', 'keel_mount_check', 'keel_msg_type', 'keel_op_code', 'keel_sync_tag']);
  });
});

interface Signature {
  ret: string;
  params: string[];
}

/** ffi-rs's DataType for each C type libkeel.c uses at its boundary. */
const FFI_TYPE: Record<string, string> = {
  int: 'I32',
  int32_t: 'I32',
  'const char *': 'String',
  'const int32_t *': 'I32Array',
  'const uint8_t *': 'U8Array',
  int64_t: 'BigInt',
};

/** Every function libkeel.c exports (each definition not marked static), its types mapped to ffi-rs's. */
function exportedFunctions(source: string): Map<string, Signature> {
  const found = new Map<string, Signature>();
  const ffi = (cType: string) => FFI_TYPE[cType.replace(/\s*\*\s*/g, ' *').replace(/\s+/g, ' ').trim()] ?? `unmapped C type "${cType.trim()}"`;
  for (const [, ret, name, params] of withoutComments(source).matchAll(/^(?!static\b)([A-Za-z_][\w \t*]*?)\s*\b(\w+)\(([^)]*)\)\s*\{/gm)) {
    const list = params!.trim() === 'void' || params!.trim() === '' ? [] : params!.split(',');
    found.set(name!, { ret: ffi(ret!), params: list.map((p) => ffi(p.replace(/\w+\s*$/, ''))) });
  }
  return found;
}

/**
 * Every native call libkeel.ts makes: call('name', DataType.R, [DataType.P, ...], [values]),
 * call(param, ...) inside a helper that is itself called with the name, and load({ funcName,
 * retType, paramsType }). A call whose name or types the parser cannot read is reported, not skipped.
 */
function boundFunctions(source: string): { bound: Map<string, Signature>; unreadable: string[] } {
  const file = ts.createSourceFile(LIBKEEL_TS, source, ts.ScriptTarget.Latest, true);
  const bound = new Map<string, Signature>();
  const unreadable: string[] = [];
  const dataType = (e: ts.Expression | undefined) => (e && ts.isPropertyAccessExpression(e) && e.expression.getText() === 'DataType' ? e.name.text : undefined);
  const types = (e: ts.Expression | undefined) => (e && ts.isArrayLiteralExpression(e) ? e.elements.map((x) => dataType(x)) : undefined);
  const record = (names: string[], ret: string | undefined, params: (string | undefined)[] | undefined, at: ts.Node, valueCount?: number) => {
    const where = `${at.getText().slice(0, 60)}... (line ${file.getLineAndCharacterOfPosition(at.getStart()).line + 1})`;
    if (!names.length || !ret || !params || params.some((p) => !p)) return void unreadable.push(where);
    if (valueCount !== undefined && valueCount !== params.length) return void unreadable.push(`${where}: ${params.length} types for ${valueCount} values`);
    for (const name of names) {
      if (bound.has(name) && JSON.stringify(bound.get(name)) !== JSON.stringify({ ret, params })) unreadable.push(`${name}: called with two signatures`);
      bound.set(name, { ret, params: params as string[] });
    }
  };
  /** The names a function-name expression stands for: a literal, or a parameter of the enclosing helper (then each literal it is called with). */
  const namesOf = (e: ts.Expression): string[] => {
    if (ts.isStringLiteralLike(e)) return [e.text];
    if (!ts.isIdentifier(e)) return [];
    let fn: ts.Node | undefined = e.parent;
    while (fn && !ts.isFunctionDeclaration(fn)) fn = fn.parent;
    const helper = fn && ts.isFunctionDeclaration(fn) ? fn : undefined;
    const index = helper?.parameters.findIndex((p) => p.name.getText() === e.text) ?? -1;
    if (!helper?.name || index < 0) return [];
    const names: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && n.expression.getText() === helper.name!.text) {
        const arg = n.arguments[index];
        names.push(arg && ts.isStringLiteralLike(arg) ? arg.text : `<unreadable ${arg?.getText()}>`);
      }
      ts.forEachChild(n, visit);
    };
    visit(file);
    return names;
  };
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'call') {
      const [name, ret, params, values] = n.arguments;
      record(name ? namesOf(name) : [], dataType(ret), types(params), n, values && ts.isArrayLiteralExpression(values) ? values.elements.length : undefined);
    }
    if (ts.isObjectLiteralExpression(n)) {
      const prop = (key: string) => n.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText() === key)?.initializer;
      const funcName = prop('funcName');
      if (funcName && !ts.isIdentifier(funcName)) {
        const values = prop('paramsValue');
        record(namesOf(funcName), dataType(prop('retType')), types(prop('paramsType')), n, values && ts.isArrayLiteralExpression(values) ? values.elements.length : undefined);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(file);
  for (const name of bound.keys()) if (name.startsWith('<unreadable')) unreadable.push(name);
  return { bound, unreadable };
}

describe('libkeel.c and its ffi-rs bindings in src/native/libkeel.ts', () => {
  const exported = exportedFunctions(readFileSync(LIBKEEL_C, 'utf8'));
  const { bound, unreadable } = boundFunctions(readFileSync(LIBKEEL_TS, 'utf8'));

  it('are read whole', () => {
    expect(unreadable).toEqual([]);
    expect(exported.size).toBeGreaterThan(10);
    expect([...exported.values()].flatMap((s) => [s.ret, ...s.params]).filter((t) => t.startsWith('unmapped'))).toEqual([]);
  });

  it('name the same functions, with the same argument count and types and the same return type', () => {
    const sorted = (m: Map<string, Signature>) => Object.fromEntries([...m].sort(([a], [b]) => a.localeCompare(b)));
    expect(sorted(bound)).toEqual(sorted(exported));
  });

  it('(a binding with a wrong argument type is told apart)', () => {
    const altered = boundFunctions(readFileSync(LIBKEEL_TS, 'utf8').replace("call('keel_mkfifo', DataType.I32, [DataType.String, DataType.I32]", "call('keel_mkfifo', DataType.I32, [DataType.I32, DataType.I32]"));
    expect(altered.bound.get('keel_mkfifo')).toEqual({ ret: 'I32', params: ['I32', 'I32'] });
    expect(altered.bound.get('keel_mkfifo')).not.toEqual(exported.get('keel_mkfifo'));
  });
});
