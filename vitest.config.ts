import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    projects: [
      {
        // Pure parts, no I/O: one worker thread runs them all, without a process per file.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          pool: 'threads',
          isolate: false,
        },
      },
      {
        // Each file in a process of its own (signals, child processes, native modules). They
        // wait on sshd, child processes and timers more than on a core: four at a time keep
        // two cores busy without one file's timeouts starving another's. (Sharing processes
        // between files, isolate: false, saved a third of the time, but metrics-limits.test.ts
        // then timed out in two of three CI runs; its cause is not known yet.)
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
        },
      },
    ],
    maxWorkers: 4,
  },
});
