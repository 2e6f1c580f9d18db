import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The integration files wait on sshd, child processes and timers more than on a core: four
    // at a time keep two cores busy without one file's timeouts starving another's.
    maxWorkers: 4,
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
