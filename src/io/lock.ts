import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { LockedError } from '../errors.js';

/** An SQLite database file is empty or at least one page, and no page is smaller. */
const MIN_SQLITE_FILE_BYTES = 512;

/**
 * The two locks of a store. The *service* lock: one `run` per store, held
 * for the life of the service. The *write* lock: held only while a job writes (a poll, an
 * export, a purge, an erase), so a command run by hand waits for the service's current job
 * instead of being refused while the service idles.
 */
export type LockKind = 'service' | 'write';

/**
 * The database's path with links resolved, as SQLite resolves it to place its -wal and -shm
 * files: a store reached through a symlink (or a symlinked folder) has one lock, not one per
 * name. A file not there yet is resolved through its folder.
 */
export function databaseRealPath(databasePath: string): string {
  const full = path.resolve(databasePath);
  try {
    return fs.realpathSync(full);
  } catch {
    try {
      return path.join(fs.realpathSync(path.dirname(full)), path.basename(full));
    } catch {
      return full;
    }
  }
}

/**
 * The file of each lock. The write lock keeps `<database>.lock`, the name of the single
 * lock of earlier versions: an older `run` still holding it keeps every writer of this
 * version out, and an older command holding it keeps this service's jobs waiting.
 */
export function lockFile(databasePath: string, kind: LockKind): string {
  const base = databaseRealPath(databasePath);
  return kind === 'write' ? `${base}.lock` : `${base}.service.lock`;
}

/** How long a waiting acquire sleeps between tries. */
const RETRY_MS = 50;
/** A holder's own commit of its pid waits this long for a rival that is reading it. */
const COMMIT_WAIT_MS = 2000;

/**
 * A lock that the kernel releases when its holder dies: a small SQLite file in which the
 * holder keeps a write transaction open for as long as it holds the lock. SQLite holds that
 * with an fcntl lock on an open descriptor, and a process's descriptors (and their locks) are
 * gone the moment it exits, however it exits: a process killed with SIGKILL, a zombie nobody
 * reaps, a pid reused after a reboot never block the next holder. The holder's pid is kept in
 * the file only to name it in a refusal.
 *
 * Keep the object referenced for as long as the lock is meant to be held: a collected
 * connection is closed by its finalizer, and the lock goes with it.
 */
export class StoreLock {
  private constructor(
    readonly file: string,
    readonly kind: LockKind,
    private readonly db: Database.Database,
  ) {}

  /** Takes the lock now, or throws a LockedError naming the holder. */
  static tryAcquire(databasePath: string, kind: LockKind = 'write'): StoreLock {
    const file = lockFile(databasePath, kind);
    const db = openLockFile(file);
    try {
      if (!take(db)) throw new LockedError(file, readHolder(db), kind);
      return new StoreLock(file, kind, db);
    } catch (err) {
      closeQuietly(db);
      throw err;
    }
  }

  /**
   * Takes the lock, waiting up to `waitMs` for its holder to let it go. The wait sleeps
   * between tries, so the event loop (the service's /healthz, its signals) keeps running.
   */
  static async acquire(
    databasePath: string,
    kind: LockKind,
    { waitMs }: { waitMs: number },
  ): Promise<StoreLock> {
    const file = lockFile(databasePath, kind);
    const db = openLockFile(file);
    const started = Date.now();
    try {
      for (;;) {
        if (take(db)) return new StoreLock(file, kind, db);
        const waited = Date.now() - started;
        if (waited >= waitMs) throw new LockedError(file, readHolder(db), kind, waitMs);
        await sleep(Math.min(RETRY_MS, waitMs - waited));
      }
    } catch (err) {
      closeQuietly(db);
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

function openLockFile(file: string): Database.Database {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  removeOldPidFile(file);
  // Reading the file waits while a rival commits its pid (SQLite's PENDING lock keeps new
  // readers out for that moment: a blocking wait of a few milliseconds, at most
  // COMMIT_WAIT_MS); only the tries to take the lock must not wait (below).
  const db = new Database(file, { timeout: COMMIT_WAIT_MS });
  try {
    fs.chmodSync(file, 0o600);
    db.pragma('journal_mode = DELETE');
    db.exec(`CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL,
               since TEXT NOT NULL)`);
    db.pragma('busy_timeout = 0');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * Takes the lock, records our pid, and takes it again: a rival that slips in between holds
 * the lock and records its own pid, and this try fails. False when another holds it.
 */
function take(db: Database.Database): boolean {
  if (!tryBegin(db)) return false;
  try {
    db.prepare(`INSERT OR REPLACE INTO holder (id, pid, since) VALUES (1, ?, ?)`).run(
      process.pid,
      new Date().toISOString(),
    );
    // The commit needs every reader gone: a rival reading the pid to name it in its refusal
    // is done in a moment, so wait for it rather than fail.
    db.pragma(`busy_timeout = ${COMMIT_WAIT_MS}`);
    try {
      db.exec('COMMIT');
    } finally {
      db.pragma('busy_timeout = 0');
    }
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return tryBegin(db);
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

function closeQuietly(db: Database.Database): void {
  try {
    if (db.inTransaction) db.exec('ROLLBACK');
  } finally {
    db.close();
  }
}

/**
 * Earlier versions kept a plain pid file under the write lock's name, checked with
 * kill(pid, 0): a test that zombies and reused pids fool. Such a file says nothing reliable;
 * remove it. It is told by its size (a few bytes; an SQLite file is empty or at least one
 * 512-byte page), not read: opening and closing the file would drop every lock this process
 * holds on it (POSIX locks belong to the process, and any close of the file releases them).
 */
function removeOldPidFile(file: string): void {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return;
  }
  if (size > 0 && size < MIN_SQLITE_FILE_BYTES) fs.rmSync(file, { force: true });
}
