import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Packages that do I/O: what the layers that decide never import. */
const IO_PACKAGES = [
  'node:fs*',
  'fs',
  'fs/*',
  'node:net',
  'net',
  'node:http*',
  'http*',
  'node:child_process',
  'child_process',
  'node:worker_threads',
  'worker_threads',
  'better-sqlite3',
  'ssh2*',
  'hyparquet*',
];

/** Every layer of src/ by the paths its modules are imported by. */
const ALL = {
  core: '**/core/**',
  reports: '**/reports/**',
  errors: '**/errors.js',
  config: '**/config/**',
  pipeline: '**/pipeline/**',
  io: '**/io/**',
  demo: '**/demo/**',
  jobs: '**/jobs/**',
  service: '**/service/**',
  commands: '**/commands/**',
  main: '**/main.js',
};
const above = (...names) => names.map((n) => ALL[n]);

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      '.bench/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
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
  // imports their types; commands name the types the jobs return. `import()` is held to the
  // same paths as `import`.
  ...layer(['src/core/**/*.ts'], {
    why: 'core/ is pure: no I/O, and nothing of the program but core/',
    banned: above(
      'reports',
      'errors',
      'config',
      'pipeline',
      'io',
      'demo',
      'jobs',
      'service',
      'commands',
      'main',
    ),
    packages: [...IO_PACKAGES, 'process', 'node:process'],
    pure: true,
  }),
  ...layer(['src/reports/**/*.ts'], {
    why: 'reports/ are pure: queries as text and rows mapped by core/',
    banned: above(
      'errors',
      'config',
      'pipeline',
      'io',
      'demo',
      'jobs',
      'service',
      'commands',
      'main',
    ),
    packages: [...IO_PACKAGES, 'process', 'node:process'],
    pure: true,
  }),
  ...layer(['src/errors.ts', 'src/config/**/*.ts'], {
    why: 'errors.ts and config/ sit on the core: they read files but run no job',
    banned: above('reports', 'pipeline', 'io', 'demo', 'jobs', 'service', 'commands', 'main'),
    packages: ['better-sqlite3', 'ssh2*'],
  }),
  ...layer(['src/pipeline/**/*.ts'], {
    why: 'pipeline/ decides through its ports; the jobs give it real I/O',
    banned: above('io', 'demo', 'jobs', 'service', 'commands', 'main'),
    typesFrom: [ALL.config],
    packages: IO_PACKAGES,
  }),
  ...layer(['src/io/**/*.ts', 'src/demo/**/*.ts'], {
    why: 'io/ implements the ports; it runs nothing of the pipeline and knows no job',
    banned: above('demo', 'jobs', 'service', 'commands', 'main'),
    typesFrom: [ALL.pipeline, ALL.config],
  }),
  ...layer(['src/jobs/**/*.ts'], {
    why: 'a job wires the pipeline to io/ for one run; the service and commands call it',
    banned: above('demo', 'service', 'commands', 'main'),
    packages: ['ssh2*'],
  }),
  ...layer(['src/service/**/*.ts'], {
    why: 'the service schedules jobs; the store and the server are reached through jobs/',
    banned: [
      ...above('reports', 'io', 'demo', 'commands', 'main'),
      '!**/io/logger.js',
      '!**/io/metrics-server.js',
    ],
    typesFrom: [ALL.pipeline],
    packages: IO_PACKAGES,
  }),
  ...layer(['src/commands/**/*.ts'], {
    why: 'a command parses, calls a job or the service, and prints; I/O goes through jobs/',
    banned: [...above('io', 'pipeline', 'main'), '!**/io/logger.js'],
    typesFrom: [ALL.io, ALL.pipeline],
    packages: IO_PACKAGES.filter((p) => !/fs/.test(p)),
  }),
  ...layer(['src/main.ts', 'src/cli.ts'], {
    why: 'main.ts turns argv into a command; the commands do the rest',
    banned: above('reports', 'config', 'pipeline', 'io', 'demo', 'jobs', 'service'),
    packages: ['better-sqlite3', 'ssh2*'],
  }),
);

/**
 * One layer's import rule: the `banned` paths (a `!` path is allowed after all), the same
 * for types but those of `typesFrom`, and the packages it must not touch; `pure` also bans
 * the global `process`. A dynamic `import()` of any of them is refused too.
 */
function layer(files, { why, banned, typesFrom = [], packages = [], pure = false }) {
  const allowed = banned.filter((g) => g.startsWith('!'));
  const patterns = [
    { group: [...banned], message: why },
    ...(typesFrom.length
      ? [{ group: [...typesFrom, ...allowed], message: why, allowTypeImports: true }]
      : []),
    ...(packages.length ? [{ group: packages, message: why }] : []),
  ];
  const refused = [...new Set([...banned, ...typesFrom, ...packages])].filter(
    (g) => !g.startsWith('!'),
  );
  const exceptions = allowed.map((g) => g.slice(1));
  const except = exceptions.map((g) => `:not([source.value=${regex(g)}])`).join('');
  return [
    {
      files,
      rules: {
        'no-restricted-imports': 'off',
        '@typescript-eslint/no-restricted-imports': ['error', { patterns }],
        'no-restricted-syntax': [
          'error',
          ...refused.map((g) => ({
            selector: `ImportExpression[source.value=${regex(g)}]${except}`,
            message: `${why} (import() of ${g})`,
          })),
        ],
        ...(pure ? { 'no-restricted-globals': ['error', 'process'] } : {}),
      },
    },
  ];
}

/** An import pattern as an esquery regex: `**\/` any folders, `*` any name, else literal. */
function regex(glob) {
  const body = glob
    .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
    .replace(/\*\*\//g, '(.*/)?')
    .replace(/\/\*\*$/, '/.*')
    .replace(/(?<![.)])\*/g, '.*')
    .replace(/\//g, '\\/');
  return `/^${body}$/`;
}
