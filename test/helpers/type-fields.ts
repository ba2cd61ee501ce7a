/**
 * Every field a TypeScript type lets a value have, as JSON pointer patterns in the form
 * schema-walk.ts gives a schema's: "/linux/resources/devices/*\/allow", with "*" for any array
 * index or any key of a map (an index signature, Record<string, T>). Read with TypeScript's type
 * checker, so aliases, unions, Partial<> and the like count as the compiler sees them.
 */
import ts from 'typescript';

export interface TypeFields {
  /** The fields of the exported type `name`. */
  of(name: string): Set<string>;
}

export function typeFieldsOf(file: string): TypeFields {
  const program = ts.createProgram([file], { strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const module = source && checker.getSymbolAtLocation(source);
  if (!module) throw new Error(`${file}: TypeScript cannot read it as a module`);
  const exported = new Map(checker.getExportsOfModule(module).map((s) => [s.name, s]));

  /** The object types a field's type may be (undefined and null left out, unions taken apart). */
  const shapes = (type: ts.Type): ts.Type[] =>
    (type.isUnion() ? type.types : [type]).filter((t) => (t.flags & ts.TypeFlags.Object) !== 0);

  const walk = (type: ts.Type, at: string, found: Set<string>, depth: number): void => {
    if (depth > 12) throw new Error(`${file}: a type nests deeper than 12 levels at ${at} (a recursive type?)`);
    for (const shape of shapes(type)) {
      if (checker.isArrayType(shape)) {
        const [element] = checker.getTypeArguments(shape as ts.TypeReference);
        if (element) walk(element, `${at}/*`, found, depth + 1);
        continue;
      }
      const map = checker.getIndexInfoOfType(shape, ts.IndexKind.String);
      if (map) {
        found.add(`${at}/*`);
        walk(map.type, `${at}/*`, found, depth + 1);
      }
      for (const property of checker.getPropertiesOfType(shape)) {
        const pointer = `${at}/${property.name}`;
        found.add(pointer);
        walk(checker.getTypeOfSymbol(property), pointer, found, depth + 1);
      }
    }
  };

  return {
    of(name) {
      const symbol = exported.get(name);
      if (!symbol) throw new Error(`${file} exports no type ${name}`);
      const found = new Set<string>();
      walk(checker.getDeclaredTypeOfSymbol(symbol), '', found, 0);
      return found;
    },
  };
}
