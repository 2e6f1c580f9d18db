import { afterAll } from 'vitest';
import { removeTempDirs } from './temp-dirs.mjs';

// Each test file's temp folders (local data, sshd and ProFTPD roots) are removed when the file
// ends: after its own afterAll hooks, which stop the servers that use them (vitest runs
// "after" hooks in the reverse order of their registration, and this file registers first).
afterAll(() => removeTempDirs());
