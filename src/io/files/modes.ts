import fs from 'node:fs';
import path from 'node:path';

/** Export files and the folders they live in, unless export.fileMode / dirMode say otherwise. */
export const DEFAULT_FILE_MODE = 0o640;
export const DEFAULT_DIR_MODE = 0o750;

/**
 * Creates `file` empty with mode 0600 when it does not exist, so that SQLite, which gives
 * its -wal, -shm and journal files the database file's mode, keeps all of them private
 * whatever the umask. An existing file is left as it is.
 */
export function createPrivateFile(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  try {
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/** Creates `dir` and any missing parents with `mode` (not narrowed by the umask). */
export async function makeDirs(dir: string, mode: number): Promise<void> {
  const first = await fs.promises.mkdir(dir, { recursive: true, mode });
  if (first === undefined) return;
  const created = [dir];
  for (let d = dir; d !== first && path.dirname(d) !== d;) {
    d = path.dirname(d);
    created.push(d);
  }
  for (const d of created) await fs.promises.chmod(d, mode);
}
