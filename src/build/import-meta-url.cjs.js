// Injected into keel's CommonJS bundles (see the Makefile): ES modules bundled there (yargs,
// libkeel, hooks) read import.meta.url, which CommonJS lacks; `import.meta` becomes this object,
// whose url is the bundle's own file URL, computed only when something asks for it.
export const importMeta = {
  get url() {
    return require('node:url').pathToFileURL(__filename).href;
  },
};
