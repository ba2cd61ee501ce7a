/**
 * The imports of keel's own source, read with TypeScript's parser: static imports and re-exports,
 * dynamic import(), and require() (also through createRequire), each marked type-only or not
 * (a type-only import is erased and loads nothing at run time).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const ROOT = resolve(new URL('../..', import.meta.url).pathname);
export const SRC = join(ROOT, 'src');

export interface SourceImport {
  /** The importing file, relative to the repository ("src/plan/compile.ts"). */
  from: string;
  /** As written: "node:fs", "../hooks/run.js". */
  specifier: string;
  /** A relative specifier resolved to a repository path with .ts for .js ("src/hooks/run.ts"); undefined for packages. */
  target?: string;
  typeOnly: boolean;
}

export function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|mts|mjs|js)$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)))
    .sort();
}

export function importsOf(file: string, text = readFileSync(join(ROOT, file), 'utf8')): SourceImport[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: SourceImport[] = [];
  const add = (specifier: string, typeOnly: boolean) => found.push({ from: file, specifier, target: resolveTarget(file, specifier), typeOnly });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, isTypeOnlyImport(node.importClause));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!named?.length && named.every((e) => e.isTypeOnly)));
    } else if (ts.isCallExpression(node) && node.arguments.length >= 1 && ts.isStringLiteralLike(node.arguments[0]!) && loadsModule(node.expression)) {
      add(node.arguments[0].text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function isTypeOnlyImport(clause: ts.ImportClause | undefined): boolean {
  if (!clause) return false; // import './side-effect.js'
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

/** import('x'), require('x'), createRequire(...)('x'). */
function loadsModule(callee: ts.Expression): boolean {
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return callee.text === 'require';
  return ts.isCallExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'createRequire';
}

function resolveTarget(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts');
}

/** Every import of every file under src/. */
export function allSourceImports(): SourceImport[] {
  return sourceFiles().flatMap((f) => importsOf(f));
}

/** The folder of src/ a file belongs to ("plan" for src/plan/compile.ts); a file at src/'s top is its own ("features.ts"). */
export function folderOf(file: string): string | undefined {
  const rel = relative('src', file);
  if (rel.startsWith('..')) return undefined;
  return rel.split('/')[0];
}

/**
 * The cycles among folders: each strongly connected group of two or more folders, as every import
 * between two of its folders (one example file each): "plan -> cgroups (src/plan/compile.ts
 * imports src/cgroups/resources.ts)". Any one of them removed may break the cycle.
 */
export function folderCycles(imports: readonly SourceImport[]): string[][] {
  const edges = new Map<string, Map<string, SourceImport>>();
  for (const imp of imports) {
    const a = folderOf(imp.from);
    const b = imp.target && folderOf(imp.target);
    if (!a || !b || a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a)!.has(b)) edges.get(a)!.set(b, imp);
  }
  return stronglyConnected(edges)
    .filter((group) => group.length > 1)
    .map((group) =>
      group.flatMap((a) =>
        [...(edges.get(a) ?? [])]
          .filter(([b]) => group.includes(b))
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([b, imp]) => `${a} -> ${b} (${imp.from} imports ${imp.target})`),
      ),
    );
}

/** Tarjan's algorithm; groups come out sorted, each sorted by name. */
function stronglyConnected(edges: Map<string, Map<string, unknown>>): string[][] {
  const nodes = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(edges.get(v)?.keys() ?? [])].sort()) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      groups.push(group.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) connect(v);
  return groups.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/**
 * What `file` loads at run time, directly or through other files of the repository (type-only
 * imports load nothing), each with the chain of imports that brings it in:
 * "node:child_process (src/plan/compile.ts -> src/hooks/run.ts)".
 */
export function runtimeImportsReachedFrom(file: string, imports: readonly SourceImport[]): Map<string, string[]> {
  const byFile = new Map<string, SourceImport[]>();
  for (const imp of imports) if (!imp.typeOnly) byFile.set(imp.from, [...(byFile.get(imp.from) ?? []), imp]);
  const reached = new Map<string, string[]>();
  const seen = new Set([file]);
  const queue: { file: string; chain: string[] }[] = [{ file, chain: [file] }];
  while (queue.length) {
    const { file: at, chain } = queue.shift()!;
    for (const imp of byFile.get(at) ?? []) {
      const name = imp.target ?? imp.specifier;
      if (!reached.has(name)) reached.set(name, chain);
      if (imp.target && !seen.has(imp.target)) {
        seen.add(imp.target);
        queue.push({ file: imp.target, chain: [...chain, imp.target] });
      }
    }
  }
  return reached;
}
