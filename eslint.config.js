import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Packages that do I/O: what the pure layers never import. */
const IO_PACKAGES = [
  'node:fs*',
  'node:net',
  'node:child_process',
  'node:worker_threads',
  'fs',
  'better-sqlite3',
  'ssh2*',
];

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
  // The layers (docs/architecture.md): each may import the layers below it and never one
  // above. A type may cross where code may not: io/ implements the pipeline's ports, so it
  // imports their types; commands name the types the jobs return.
  ...layer(['src/core/**/*.ts', 'src/reports/**/*.ts'], {
    why: 'core/ and reports/ are pure: no I/O, and nothing above them',
    banned: ['**/io/**', '**/pipeline/**', '**/jobs/**', '**/service/**', '**/commands/**'],
    typesFrom: [],
    packages: IO_PACKAGES,
    pure: true,
  }),
  ...layer(['src/errors.ts', 'src/config/**/*.ts'], {
    why: 'errors.ts and config/ sit on the core: they read files but run no job',
    banned: ['**/io/**', '**/pipeline/**', '**/jobs/**', '**/service/**', '**/commands/**'],
    typesFrom: [],
    packages: ['better-sqlite3', 'ssh2*'],
  }),
  ...layer(['src/pipeline/**/*.ts'], {
    why: 'pipeline/ decides through its ports; the jobs give it real I/O',
    banned: ['**/io/**', '**/jobs/**', '**/service/**', '**/commands/**', '**/demo/**'],
    typesFrom: ['**/config/**'],
    packages: IO_PACKAGES,
  }),
  ...layer(['src/io/**/*.ts', 'src/demo/**/*.ts'], {
    why: 'io/ implements the ports; it runs nothing of the pipeline and knows no job',
    banned: ['**/jobs/**', '**/service/**', '**/commands/**', '**/demo/**'],
    typesFrom: ['**/pipeline/**', '**/config/**'],
    packages: [],
  }),
  ...layer(['src/jobs/**/*.ts'], {
    why: 'a job wires the pipeline to io/ for one run; the service and commands call it',
    banned: ['**/service/**', '**/commands/**', '**/demo/**'],
    typesFrom: [],
    packages: ['ssh2*'],
  }),
  ...layer(['src/service/**/*.ts'], {
    why: 'the service schedules jobs; the store and the server are reached through jobs/',
    banned: ['**/io/**', '!**/io/logger.js', '!**/io/metrics-server.js', '**/commands/**'],
    typesFrom: ['**/pipeline/**'],
    packages: IO_PACKAGES,
  }),
  ...layer(['src/commands/**/*.ts'], {
    why: 'a command parses, calls a job or the service, and prints; I/O goes through jobs/',
    banned: ['**/io/**', '!**/io/logger.js', '**/pipeline/**'],
    typesFrom: ['**/io/**', '**/pipeline/**'],
    packages: ['better-sqlite3', 'ssh2*', 'node:net', 'node:child_process'],
  }),
);

/**
 * One layer's import rule: `banned` paths (negated with `!` for the files allowed), the same
 * for types except `typesFrom`, and packages it must not touch. `pure` also bans `process`.
 */
function layer(files, { why, banned, typesFrom, packages, pure = false }) {
  const allowed = banned.filter((g) => g.startsWith('!'));
  const patterns = [
    { group: banned.filter((g) => !typesFrom.includes(g)), message: why },
    ...(typesFrom.length
      ? [{ group: [...typesFrom, ...allowed], message: why, allowTypeImports: true }]
      : []),
    ...(packages.length ? [{ group: packages, message: why }] : []),
  ];
  return [
    {
      files,
      rules: {
        'no-restricted-imports': 'off',
        '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
        ...(pure ? { 'no-restricted-globals': ['error', 'process'] } : {}),
      },
    },
  ];
}
