import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LockedError } from '../errors.js';

const SQLITE_HEADER = 'SQLite format 3\u0000';

/**
 * An exclusive lock on the store that the kernel releases when its holder dies: a small
 * SQLite file, `<database>.lock`, in which the holder keeps a write transaction open for its
 * whole life. SQLite holds that with an fcntl lock on an open descriptor, and a process's
 * descriptors (and their locks) are gone the moment it exits, however it exits: a process
 * killed with SIGKILL, a zombie nobody reaps, a pid reused after a reboot never block the
 * next start. The holder's pid is kept in the file only to name it in the refusal.
 */
export class StoreLock {
  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
  ) {}

  static acquire(databasePath: string): StoreLock {
    const file = `${path.resolve(databasePath)}.lock`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    removeOldPidFile(file);
    const db = new Database(file, { timeout: 0 });
    try {
      fs.chmodSync(file, 0o600);
      db.pragma('journal_mode = DELETE');
      db.exec(`CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL,
                 since TEXT NOT NULL)`);
      // Take the lock, record our pid, and take it again: a rival that slips in between
      // holds the lock, records its own pid, and this process is refused naming it.
      if (!tryBegin(db)) throw new LockedError(file, readHolder(db));
      db.prepare(`INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)`).run(
        process.pid,
        new Date().toISOString(),
      );
      db.exec('COMMIT');
      if (!tryBegin(db)) throw new LockedError(file, readHolder(db));
      return new StoreLock(file, db);
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
      throw err;
    }
  }

  /** Ends the transaction and closes the file; the next process may take the lock. */
  release(): void {
    if (!this.db.open) return;
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }
}

/** BEGIN IMMEDIATE takes SQLite's RESERVED lock, which only one connection may hold. */
function tryBegin(db: Database.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw err;
  }
}

/** The pid the current holder recorded (readers can read while it holds RESERVED). */
function readHolder(db: Database.Database): number {
  try {
    return db.prepare<[], { pid: number }>(`SELECT pid FROM holder WHERE id = 1`).get()?.pid ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Earlier versions kept a plain pid file under the same name, checked with kill(pid, 0):
 * a test that zombies and reused pids fool. Such a file says nothing reliable; remove it.
 */
function removeOldPidFile(file: string): void {
  let head: Buffer;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      head = Buffer.alloc(16);
      const n = fs.readSync(fd, head, 0, 16, 0);
      head = head.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return;
  }
  if (head.length > 0 && head.toString('latin1') !== SQLITE_HEADER)
    fs.rmSync(file, { force: true });
}
