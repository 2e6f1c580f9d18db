import fs from 'node:fs';
import path from 'node:path';

/** libfaketime's preload library (Debian: `apt-get install -y faketime`), wherever the arch puts it. */
export function libfaketime(): string {
  for (const dir of ['/usr/lib', '/usr/local/lib', '/usr/lib64']) {
    const candidates = [
      path.join(dir, 'faketime', 'libfaketime.so.1'),
      ...(fs.existsSync(dir) ? fs.readdirSync(dir) : []).map((d) =>
        path.join(dir, d, 'faketime', 'libfaketime.so.1'),
      ),
    ];
    const found = candidates.find((c) => fs.existsSync(c));
    if (found) return found;
  }
  throw new Error('libfaketime is not installed: apt-get install -y faketime');
}

/**
 * The environment that runs a child process on a fake clock: it starts at `start` (UTC,
 * "YYYY-MM-DD hh:mm:ss") and runs `speed` times faster than real time, timers included.
 * Preloaded directly rather than through the `faketime` wrapper, so that signals reach the
 * process itself and its exit code is its own.
 */
export function fakeClockEnv(start: string, speed = 1): NodeJS.ProcessEnv {
  return { LD_PRELOAD: libfaketime(), FAKETIME: `@${start} x${speed}`, TZ: 'UTC' };
}
