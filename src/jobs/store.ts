import type { Config } from '../config/schema.js';
import { StoreError, describeError, isTransientStoreError } from '../errors.js';
import { removeExportLeftovers } from '../io/files/export-files.js';
import type { Logger } from '../io/logger.js';
import { StoreLock } from '../io/lock.js';
import { SqliteStore, type StoreOptions } from '../io/store/index.js';

/** An open store and the lock that guards it, released in reverse order. */
export type StoreHandle = { store: SqliteStore; close(): void };

/**
 * Opens (and migrates) the SQLite file. The caller holds the write lock, so a run the store
 * shows as still going was left by a process that died: it is ended as interrupted.
 */
function openSqlite(config: Config): { store: SqliteStore; interruptedRuns: number } {
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore(storeOptions(config));
    return { store, interruptedRuns: store.closeInterruptedRuns(Date.now()) };
  } catch (err) {
    store?.close();
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
}

/** The store of `config`, as SqliteStore opens it. */
function storeOptions(config: Config, readonly = false): StoreOptions {
  return {
    path: config.database.path,
    busyTimeoutMs: config.database.busyTimeoutMs,
    exportTimeZone: config.export.timezone,
    sourceTimeZone: config.source.timezone,
    ...(readonly ? { readonly } : {}),
  };
}

/**
 * The store opened read-only, for `status` and `doctor`: no lock, no migration, so it works
 * while the service runs. The caller closes it.
 */
export function openReadOnlyStore(config: Config): SqliteStore {
  return new SqliteStore(storeOptions(config, true));
}

/** Takes the write lock, waiting up to `database.busyTimeoutMs` for the job holding it. */
function writeLock(config: Config): Promise<StoreLock> {
  // Taking a lock writes to its file: a full disk fails here, and says so.
  return storeStepAsync(config, () =>
    StoreLock.acquire(config.database.path, 'write', { waitMs: config.database.busyTimeoutMs }),
  );
}

/**
 * For a one-shot command that writes (`ingest`, `export`, `purge`, `erase`): waits for the
 * write lock (the service's current job, at most `database.busyTimeoutMs`), then opens and
 * migrates the store. The lock is held until `close()`.
 */
export async function openStore(config: Config): Promise<StoreHandle> {
  const lock = await writeLock(config);
  let store: SqliteStore;
  try {
    store = openSqlite(config).store;
  } catch (err) {
    lock.release();
    throw err;
  }
  return {
    store,
    close() {
      store.close();
      lock.release();
    },
  };
}

/** The service's store: open for its whole life, written only under the write lock. */
export type ServiceStoreHandle = StoreHandle & {
  /** Runs one job holding the write lock; waits for a command's job first. */
  withWriteLock<T>(job: () => Promise<T>): Promise<T>;
  /** What the start found left by a process that died: runs it ended, temp files it removed. */
  recovered: { interruptedRuns: number; leftovers: number; leftoversError?: string };
};

/**
 * For `run`: takes the service lock (refused at once, naming the holder, when another `run`
 * holds it), then opens and migrates the store under the write lock, which it lets go: each
 * job takes it again (`withWriteLock`), so a command run by hand gets its turn between jobs.
 */
export async function openServiceStore(config: Config): Promise<ServiceStoreHandle> {
  const service = storeStep(config, () => StoreLock.tryAcquire(config.database.path, 'service'));
  let store: SqliteStore;
  let recovered: ServiceStoreHandle['recovered'];
  try {
    const lock = await writeLock(config);
    try {
      const opened = openSqlite(config);
      store = opened.store;
      recovered = { interruptedRuns: opened.interruptedRuns, leftovers: 0 };
      // A killed export's temp files hold whole days of customer data: none survives a
      // restart, even when the next export is a day away. A failure here (export.dir
      // unreadable) is the export's to report, not a reason not to start.
      try {
        recovered.leftovers = (await removeExportLeftovers(config.export.dir)).length;
      } catch (err) {
        recovered.leftoversError = describeError(err);
      }
    } finally {
      lock.release();
    }
  } catch (err) {
    service.release();
    throw err;
  }
  return {
    store,
    recovered,
    async withWriteLock(job) {
      const lock = await writeLock(config);
      try {
        return await job();
      } finally {
        lock.release();
      }
    },
    close() {
      store.close();
      service.release();
    },
  };
}

export async function storeStepAsync<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
}

/** Runs a store call, turning a full disk or a lock held elsewhere into a StoreError. */
export function storeStep<T>(config: Config, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
}

/** Records a failed run; when the store itself is failing (disk full), the log must do. */
export function recordFailure(store: SqliteStore, runId: number, err: unknown, log: Logger): void {
  try {
    store.endRun(runId, false, null, describeError(err), Date.now());
  } catch (recordErr) {
    log.error({ err: describeError(recordErr) }, 'could not record the failed run in the store');
  }
}
