import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createPrivateFile } from '../files/modes.js';
import { assertSchemaCurrent, migrate } from './migrations.js';

/** Where the store is and how to open it. */
export type StoreOptions = {
  path: string;
  busyTimeoutMs: number;
  /** The zone whose calendar days the exports use; new rows mark their day to export again. */
  exportTimeZone: string;
  /** The zone `dateCreated` is read in; a migration that dates stored events needs it. */
  sourceTimeZone?: string;
  readonly?: boolean;
};

/**
 * Opens the store's database file. A writer creates it (mode 0600, its folder too), sets WAL
 * mode and synchronous=FULL (a commit is on disk before the pipeline moves the file away on
 * the server) and applies the numbered migrations; a reader never migrates and refuses a
 * schema other than this program's.
 */
export function openConnection(options: StoreOptions): Database.Database {
  if (!options.readonly) {
    fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
    createPrivateFile(options.path);
  }
  const db = new Database(options.path, {
    timeout: options.busyTimeoutMs,
    readonly: options.readonly ?? false,
    fileMustExist: options.readonly ?? false,
  });
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db, {
      sourceTimeZone: options.sourceTimeZone ?? 'UTC',
      exportTimeZone: options.exportTimeZone,
    });
  } else {
    try {
      assertSchemaCurrent(db, options.path);
    } catch (err) {
      db.close();
      throw err;
    }
  }
  return db;
}
