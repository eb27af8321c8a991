// Lint rules that guard the architecture: workflow code stays deterministic (no Node builtins,
// no I/O clients, no zod, no imports of activity/client/worker code except as types), and no
// promise is left floating anywhere (an un-awaited activity is a lost step).
import js from '@eslint/js';
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
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    ignores: ['common/config/**'],
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
            { group: ['**/activities', '**/activities/**', '**/client/**', '**/workers/**'], message: 'workflows may only import types from activities/client/workers', allowTypeImports: true },
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
