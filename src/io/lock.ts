import fs from 'node:fs';
import path from 'node:path';
import { LockedError } from '../errors.js';

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readHolder(file: string): number | undefined {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An exclusive lock on the store: `<database>.lock` holding the owner's pid, created with
 * O_EXCL. A lock left by a process that no longer exists is taken over; one held by a live
 * process is refused with its pid.
 */
export class StoreLock {
  private constructor(readonly file: string) {}

  static acquire(databasePath: string): StoreLock {
    const file = `${path.resolve(databasePath)}.lock`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = fs.openSync(file, 'wx', 0o644);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        return new StoreLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = readHolder(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder))
        throw new LockedError(file, holder);
      // Stale (holder gone) or unreadable: move it aside atomically, then try again.
      try {
        fs.renameSync(file, `${file}.stale-${process.pid}`);
        fs.rmSync(`${file}.stale-${process.pid}`, { force: true });
      } catch {
        // Another process took it over first; the next attempt sees its pid.
      }
    }
    const holder = readHolder(file) ?? 0;
    throw new LockedError(file, holder);
  }

  release(): void {
    if (readHolder(this.file) === process.pid) fs.rmSync(this.file, { force: true });
  }
}
