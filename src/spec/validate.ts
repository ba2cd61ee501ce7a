// Checks documents against the runtime-spec JSON Schemas in spec-schemas/. The schemas are
// compiled at build time (src/build/compile-schemas.mjs), so nothing is compiled when keel starts.
import {
  defDescriptions,
  validateConfigSchema,
  validateFeaturesSchema,
  validateStateSchema,
  type SchemaValidator,
} from '../../build/generated/validators.mjs';
import type { SpecProblem } from './problem.js';
import { explainSchemaErrors } from './schema-errors.js';

/**
 * Every schema problem in a parsed config.json; empty when it is valid. Checks that span several
 * fields (root present, duplicate namespaces...) are in checkConfigSemantics, which expects a
 * document that passed this one.
 */
export function validateConfig(doc: unknown): SpecProblem[] {
  return validateWith(validateConfigSchema, doc);
}

/** Every problem in a state document (`keel state` output, hook stdin). */
export function validateState(doc: unknown): SpecProblem[] {
  return validateWith(validateStateSchema, doc);
}

/** Every problem in a features document (`keel features` output). */
export function validateFeatures(doc: unknown): SpecProblem[] {
  return validateWith(validateFeaturesSchema, doc);
}

function validateWith(validator: SchemaValidator, doc: unknown): SpecProblem[] {
  if (validator(doc)) return [];
  return explainSchemaErrors(validator.errors ?? [], doc, defDescriptions);
}
