// Injected into keel's CommonJS bundles (see the Makefile): ES modules bundled there (yargs) read
// import.meta.url, which CommonJS lacks; this gives them the bundle's own file URL instead.
export const importMetaUrl = require('node:url').pathToFileURL(__filename).href;
