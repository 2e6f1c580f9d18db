import { defineConfig } from 'vitest/config';

// The tests that exercise src/ in-process: what mutation testing can measure. (Tests that
// run the built CLI as a child process exercise dist/, which mutants never reach.)
export default defineConfig({
  test: {
    include: [
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
  },
});
