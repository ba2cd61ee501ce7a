// The runtime-spec releases keel implements. The accepted range itself is enforced by the
// ociVersion pattern in spec-schemas/defs.schema.json; keep the two in step.

/**
 * The newest release keel implements: written by `keel spec`, the ociVersionMax of `keel features`,
 * the ociVersion of `keel state`, and shown by `keel --version`.
 */
export const SPEC_VERSION = '1.3.0';

/** The oldest release keel accepts: the ociVersionMin of `keel features`. */
export const OLDEST_SPEC_VERSION = '1.0.0';

/** "1.0.0 to 1.3.x", for messages about unsupported versions. */
export const SUPPORTED_SPEC_VERSIONS = `${OLDEST_SPEC_VERSION} to ${SPEC_VERSION.replace(/\.\d+$/, '.x')}`;
