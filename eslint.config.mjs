// Lint rules that guard the architecture: workflow code stays deterministic (no Node builtins,
// no I/O clients, no zod, no imports of activity/client/worker code except as types), imports point
// one way (no circles; the rooms below never import the rooms above, see docs/decisions/0010), and
// no promise is left floating anywhere (an un-awaited activity is a lost step).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'assert', 'buffer', 'child_process', 'cluster', 'crypto', 'dgram', 'dns', 'events', 'fs', 'fs/promises', 'http', 'http2', 'https',
  'net', 'os', 'path', 'perf_hooks', 'process', 'readline', 'stream', 'stream/promises', 'timers', 'tls', 'url', 'util', 'v8', 'vm', 'worker_threads', 'zlib',
];

export default tseslint.config(
  { ignores: ['eslint.config.mjs', 'node_modules/**', 'dist/**', '.venv/**', '.mlops/**', 'algorithms/**', 'bin/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // No import circles anywhere, type-only imports included: a circle ties rooms that should change apart.
    files: ['**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  ...layerRules(),
  {
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    ignores: ['common/config/**', 'common/schemas/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.flatMap((name) => [
              { name, message: 'workflow code must be deterministic: no Node APIs' },
              { name: `node:${name}`, message: 'workflow code must be deterministic: no Node APIs' },
            ]),
            { name: 'zod', message: 'validate at the edges, not in workflows' },
          ],
          patterns: [
            { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing', '@aws-sdk/*'], message: 'not allowed in workflow code', allowTypeImports: true },
            { group: ['**/activities', '**/activities/**', '**/client/**', '**/workers/**', '**/services/**', '**/hosting/**'], message: 'workflows may only import types from activities/client/workers/services/hosting', allowTypeImports: true },
            { group: ['**/common/schemas/**', '../schemas/**', './schemas/**'], message: 'the zod schemas validate at the edges; workflows take the types only', allowTypeImports: true },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'process', message: 'no environment in workflow code: everything comes in the input' },
        { name: 'Buffer', message: 'not available in the workflow sandbox' },
        { name: 'fetch', message: 'I/O belongs in activities' },
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
      ],
    },
  },
  {
    // The dashboard page: a plain browser ES module, outside the TypeScript project.
    files: ['client/dashboard/public/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      sourceType: 'module',
      parserOptions: { projectService: false },
      globals: { document: 'readonly', location: 'readonly', history: 'readonly', fetch: 'readonly', URLSearchParams: 'readonly', Node: 'readonly', getComputedStyle: 'readonly' },
    },
  },
);

/**
 * Which rooms a room may not import (the arrows of docs/decisions/0010-rooms-and-arrows.md):
 * common/ is the ground; services/ start and signal workflows for every edge and the worker;
 * activities/ never reach up to the starters or the edges; hosting/ is the local SageMaker
 * hosting process; client/ is the edges, which nothing below imports.
 */
function layerRules() {
  const forbid = (files, groups, message, ignores = []) => ({
    files,
    ignores,
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: groups, message }] }] },
  });
  return [
    forbid(['activities/**/*.ts'], ['**/client/**', '**/services/**', '**/workers/**', '**/hosting/**', '**/workflows/**'], 'activities sit below the edges, the starters, the workers and the workflows: take what you need as a dependency (see activities/lifecycle/workflow-port.ts)'),
    forbid(['services/**/*.ts'], ['**/client/**', '**/workers/**', '**/hosting/**'], 'services sit below the edges and the workers'),
    forbid(['hosting/**/*.ts'], ['**/client/**', '**/services/**', '**/workers/**', '**/workflows/**'], 'the endpoint host is a process of the local backend: it may use common/ and the local backend only'),
    forbid(['common/**/*.ts'], ['**/activities/**', '**/activities', '**/client/**', '**/services/**', '**/workers/**', '**/hosting/**', '**/workflows/**'], 'common/ is the ground floor: it imports nothing of the project above it'),
    forbid(['client/**/*.ts'], ['**/workers/**'], 'the edges do not import worker entry points'),
  ];
}
