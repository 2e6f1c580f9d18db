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
        // In child processes, not threads (signals, child processes, native modules), four
        // at a time: they wait on sshd, child processes and timers more than on a core, and
        // four keep two cores busy without one file's timeouts starving another's. A process
        // runs one file after another (isolate: false), which saves the cost of starting one
        // per file: these tests change no process state they do not restore (environment,
        // cwd, signal handlers), and each file starts and stops its own servers.
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          pool: 'forks',
          isolate: false,
          setupFiles: ['test/helpers/remove-temp-dirs.ts'],
        },
      },
    ],
    maxWorkers: 4,
  },
});
