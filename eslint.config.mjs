// ESLint flat config: typescript-eslint's recommended rules (no type information needed), plus
// the architecture's two import rules (docs/architecture.md): src/core never imports vscode, and
// the surfaces (CLI, daemon, extension, webview) reach the engine only through its three doors:
// src/core/contract (the vocabulary), src/core/client (the API client) and src/core/host
// (opening a stack). test/unit/architecture.test.ts proves both rules bite.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Node's globals, for the plain .mjs/.cjs scripts (TypeScript files get them from @types/node). */
const nodeGlobals = Object.fromEntries(
  ['process', 'console', 'Buffer', 'URL', 'URLSearchParams', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'structuredClone', 'AbortController', 'AbortSignal', 'fetch', 'performance'].map((g) => [g, 'readonly']),
);
/** Where the surfaces live, and the one message they get for reaching past the doors. */
export const SURFACES = ['src/cli/**', 'src/daemon/**', 'src/extension/**', 'webview-ui/src/**'];
export const SURFACE_IMPORT_MESSAGE =
  'a surface reaches the engine only through src/core/contract (types, schemas, errors, formats), src/core/client (the API client) or src/core/host (openStack and what works on a stack without an engine); import from one of those three, and add what is missing there (docs/architecture.md)';
const commonjsGlobals = { require: 'readonly', module: 'writable', exports: 'writable', __dirname: 'readonly', __filename: 'readonly' };

export default defineConfig(
  {
    ignores: ['dist/**', 'node_modules/**', '.scratch/**', 'test/fixtures/**/*.js', 'bench/results/**', '**/.opsdeck/**'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: nodeGlobals },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, ...commonjsGlobals } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'src/core is the engine shared with the CLI and the daemon: it must not import vscode. Put VS Code code in src/extension.',
            },
          ],
        },
      ],
    },
  },
  {
    files: SURFACES,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '(^|/)core/(?!(contract|client|host)$)',
              message: SURFACE_IMPORT_MESSAGE,
            },
          ],
        },
      ],
    },
  },
);
