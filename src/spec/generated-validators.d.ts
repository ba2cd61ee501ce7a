// Types for build/generated/validators.mjs, which src/build/compile-schemas.mjs writes from
// spec-schemas/ with ajv's standalone code generation. The module is matched by name because it
// only exists after a build.
declare module '*/build/generated/validators.mjs' {
  import type { ErrorObject } from 'ajv';

  /** A compiled schema: true when valid, otherwise the reasons are left in `errors`. */
  export interface SchemaValidator {
    (data: unknown): boolean;
    errors?: ErrorObject[] | null;
  }

  export const validateConfigSchema: SchemaValidator;
  export const validateStateSchema: SchemaValidator;
  export const validateFeaturesSchema: SchemaValidator;

  /** Name of each described def in spec-schemas/defs.schema.json -> its "description". */
  export const defDescriptions: Readonly<Record<string, string>>;
}
