import path from 'node:path';
import type { Config } from '../config/schema.js';
import { AppError, describeError, isTransientStoreError } from '../errors.js';
import { filesUnder, scanFilesKeepingLocks } from '../io/address-scan.js';
import { removeExportLeftovers } from '../io/files/export-files.js';
import { databaseRealPath } from '../io/lock.js';
import type { Logger } from '../io/logger.js';
import type { ErasureResult, SqliteStore } from '../io/store/index.js';
import { finishErasure, type EraseDeps, type ErasureFinish } from '../pipeline/erase-run.js';
import { exportOnce } from './export.js';

/** The store's own files, every one of which may hold a copy of an erased byte. */
export function storeFiles(databasePath: string): { db: string; all: string[] } {
  // Where SQLite keeps them: next to the file a symlink names.
  const db = databaseRealPath(databasePath);
  return { db, all: [db, `${db}-wal`, `${db}-shm`, `${db}-journal`, `${db}.lock`] };
}

/** The real collaborators of `finishErasure`: this store, export.dir, the export job. */
function erasureDeps(
  config: Config,
  store: SqliteStore,
  log: Logger,
  signal?: AbortSignal,
): EraseDeps {
  const dir = path.resolve(config.export.dir);
  const ownFiles = storeFiles(config.database.path);
  return {
    store,
    removeLeftovers: () => removeExportLeftovers(dir),
    rewrite: async (days) => {
      // Parquet too for the days with a Parquet file, though export.formats dropped it:
      // that file holds the customer as much as the CSV (formatGroups).
      const summary = await exportOnce(config, store, log, days, signal);
      const skipped = new Set(summary.skipped);
      // A day whose file could not be written is marked as changed again by the export.
      const failed = new Set(store.changedDays());
      return {
        written: days.filter((d) => !failed.has(d) && !skipped.has(d)),
        notRewritten: [...skipped].sort(),
        files: summary.files.filter((f) => !f.unchanged).length,
        failures: summary.failures,
      };
    },
    // The store's own files are read in a child process: this one holds SQLite locks on them.
    scan: (files, key) => scanFilesKeepingLocks(files, key, ownFiles.all),
    storeFiles: ownFiles,
    exportFiles: () => filesUnder(dir),
    clock: Date.now,
    log: log.child({ job: 'erase' }),
  };
}

/**
 * At the start of a command that opens the store for writing: finishes an erasure that was
 * interrupted (killed, a full disk, a reader holding the WAL), if one is pending. Logs what
 * it did and what is still wrong; never fails the command that called it.
 */
export async function finishPendingErasure(
  config: Config,
  store: SqliteStore,
  log: Logger,
): Promise<ErasureFinish | undefined> {
  try {
    if (!store.pendingErasure()) return undefined;
    log.info('an interrupted erasure is pending: finishing it first');
    const done = await finishErasure(erasureDeps(config, store, log), undefined);
    for (const p of done.problems) log.warn({ job: 'erase' }, `erasure not finished: ${p}`);
    return done;
  } catch (err) {
    log.error(
      { job: 'erase', err: describeError(err) },
      'could not finish an interrupted erasure; `webio-reports erase` finishes it',
    );
    return undefined;
  }
}

/**
 * `erase --address`: erases the customer (`key`, from `addressKey`) from the store in one
 * transaction, then finishes every pending erasure (this one and any interrupted before):
 * rewrites the days that held it, compacts the store, checks every byte. Without `key`, only
 * finishes what is pending.
 */
export async function eraseAndFinish(
  config: Config,
  store: SqliteStore,
  log: Logger,
  key: string | undefined,
  signal?: AbortSignal,
): Promise<{ erased: ErasureResult | undefined; finish: ErasureFinish }> {
  const erased = key === undefined ? undefined : eraseInStore(store, key);
  const finish = await finishErasure(erasureDeps(config, store, log, signal), key);
  return { erased, finish };
}

/** The erasure's transaction; a full disk or a lock held elsewhere is said as such. */
function eraseInStore(store: SqliteStore, key: string): ErasureResult {
  try {
    return store.eraseAddress(key, false, Date.now());
  } catch (err) {
    if (!isTransientStoreError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    const fix =
      code === 'SQLITE_FULL'
        ? 'free disk space'
        : 'wait for the process that holds the store (database.busyTimeoutMs was not enough)';
    throw new AppError(
      'STORE',
      `store ${store.path}: ${describeError(err)}; nothing was erased (the transaction was rolled back): ${fix} and run erase again`,
      { cause: err },
    );
  }
}
