import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The folders makeTempDir made in this process and has not removed yet. */
const made = new Set();

/**
 * A new folder under the system's temp folder, named `prefix` and six random characters. It
 * is removed with the others by removeTempDirs, which the integration tests' setup file calls
 * when a test file ends (test/helpers/remove-temp-dirs.ts).
 * @param {string} prefix
 * @returns {string}
 */
export function makeTempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/**
 * Removes every folder makeTempDir made in this process. One it cannot remove (a file system
 * still mounted there, say) is named on stderr and left: a test's cleanup must not fail the
 * test, and must not go unnoticed either.
 */
export function removeTempDirs() {
  for (const dir of made) {
    made.delete(dir);
    try {
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch (err) {
      process.stderr.write(`could not remove the test folder ${dir}: ${String(err)}\n`);
    }
  }
}
