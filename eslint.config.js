import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Rules that need the types: a promise nobody awaits loses its failure (a poll that
    // crashed in silence), and a switch over a union must say what each member does.
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
    },
  },
  {
    // The pure core, and the reports (queries as text, rows mapped by pure functions), never
    // reach for I/O: no fs, network, database or process.
    files: ['src/core/**/*.ts', 'src/reports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/io/**', '**/pipeline/**', '**/commands/**'],
              message: 'core/ and reports/ are pure.',
            },
            {
              group: [
                'node:fs*',
                'node:net',
                'node:child_process',
                'fs',
                'better-sqlite3',
                'ssh2*',
              ],
              message: 'core/ and reports/ are pure.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'process'],
    },
  },
);
