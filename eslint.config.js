// `make lint` runs this in check mode, `make format` with --fix. Two kinds of rules:
// - typescript-eslint's type-checked recommendations (floating promises, unused variables, unsafe
//   `any`, ...): bugs, fixed where found;
// - @stylistic's layout rules, set to the style the tree was written in (measured when this file
//   was added: 2 spaces, single quotes, semicolons, trailing commas on multi-line lists, 1tbs braces
//   with one-line bodies allowed, `?`/`:` starting a continued line and other operators ending it,
//   a ternary's branches indented one level more).
//   There is no line width: lines run from 80 to 500 characters, broken by hand where that reads
//   better. A formatter that owns every line break would rewrite hundreds of lines at any width
//   (measured: prettier, and so biome, 1300 to 7500 changed lines at print widths 100 to 300;
//   dprint with every "maintain" option still 400), so the layout rules here check what the tree
//   does consistently and leave line breaks to the writer. `make format` applies their fixes.
import js from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const layout = {
  '@stylistic/indent': ['error', 2, { offsetTernaryExpressions: true }],
  '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
  '@stylistic/semi': ['error', 'always'],
  '@stylistic/comma-dangle': ['error', 'always-multiline'],
  '@stylistic/brace-style': ['error', '1tbs', { allowSingleLine: true }],
  '@stylistic/operator-linebreak': ['error', 'after', { overrides: { '?': 'before', ':': 'before', '|': 'before' } }],
  '@stylistic/nonblock-statement-body-position': ['error', 'beside'],
  '@stylistic/no-tabs': 'error',
  '@stylistic/no-trailing-spaces': 'error',
  '@stylistic/eol-last': 'error',
  '@stylistic/linebreak-style': 'error',
  '@stylistic/no-multiple-empty-lines': ['error', { max: 1, maxEOF: 0, maxBOF: 0 }],
  '@stylistic/padded-blocks': ['error', 'never'],
  '@stylistic/comma-spacing': 'error',
  '@stylistic/comma-style': 'error',
  '@stylistic/key-spacing': 'error',
  '@stylistic/keyword-spacing': 'error',
  '@stylistic/space-before-blocks': 'error',
  '@stylistic/space-infix-ops': 'error',
  '@stylistic/space-unary-ops': 'error',
  '@stylistic/space-in-parens': 'error',
  '@stylistic/arrow-parens': ['error', 'always'],
  '@stylistic/arrow-spacing': 'error',
  '@stylistic/space-before-function-paren': ['error', { anonymous: 'always', named: 'never', asyncArrow: 'always' }],
  '@stylistic/semi-spacing': 'error',
  '@stylistic/no-extra-semi': 'error',
  '@stylistic/member-delimiter-style': 'error',
  '@stylistic/type-annotation-spacing': 'error',
  '@stylistic/type-generic-spacing': 'error',
  '@stylistic/type-named-tuple-spacing': 'error',
  '@stylistic/quote-props': ['error', 'as-needed'],
  '@stylistic/block-spacing': 'error',
  '@stylistic/computed-property-spacing': 'error',
  '@stylistic/function-call-spacing': 'error',
  '@stylistic/no-multi-spaces': 'error',
  '@stylistic/no-whitespace-before-property': 'error',
  '@stylistic/rest-spread-spacing': 'error',
  '@stylistic/template-curly-spacing': 'error',
  '@stylistic/switch-colon-spacing': 'error',
  '@stylistic/generator-star-spacing': ['error', 'after'],
  '@stylistic/new-parens': 'error',
  '@stylistic/dot-location': ['error', 'property'],
  '@stylistic/spaced-comment': ['error', 'always', { markers: ['/'] }],
  '@stylistic/wrap-iife': ['error', 'inside'],
};

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // As tsc's noUnusedLocals: `_name` and the properties a rest pattern leaves out are meant.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      // The tree writes `xs[i]!` as if noUncheckedIndexedAccess were on (150 places): the `!`
      // says "present here" to the reader, and costs nothing.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // An async method that implements a Promise-returning interface (the cgroup drivers) need not
      // await; a promise left unawaited is no-floating-promises' finding.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read the JSON that keel and runc print and compare its fields: `any` is its type there.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.js'],
    plugins: { '@stylistic': stylistic },
    rules: layout,
  },
);
