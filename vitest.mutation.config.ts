import { defineConfig } from 'vitest/config';

// The tests that exercise src/: what mutation testing can measure. (The CLI tests run the
// build's main, from dist/, which mutants never reach.)
// WEBIO_MUTATE_TESTS=unit keeps only the unit tests (milliseconds each): a quick lower bound
// for src/core, which they cover on their own (docs/mutation.md).
const unitOnly = process.env.WEBIO_MUTATE_TESTS === 'unit';

export default defineConfig({
  test: {
    include: unitOnly
      ? ['test/unit/**/*.test.ts']
      : [
          'test/unit/**/*.test.ts',
          'test/integration/export.test.ts',
          'test/integration/export-address-mode.test.ts',
          'test/integration/export-edges.test.ts',
          'test/integration/reports-golden.test.ts',
          'test/integration/reports-order.property.test.ts',
          'test/integration/purge-inprocess.test.ts',
          'test/integration/ingest-inprocess.test.ts',
          'test/integration/ingest-slices.test.ts',
          'test/integration/file-changes.test.ts',
          'test/integration/open-limits.test.ts',
          'test/integration/store-full-messages.test.ts',
          'test/integration/export-datapackage.test.ts',
          'test/integration/status-export-due.test.ts',
        ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    setupFiles: ['test/helpers/remove-temp-dirs.ts'],
  },
});
