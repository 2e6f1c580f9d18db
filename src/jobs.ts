import type { Config } from './config/schema.js';
import {
  StoreError,
  StoreStageFailure,
  asStoreError,
  describeError,
  isTransientStoreError,
  sftpFailureOf,
} from './errors.js';
import { SessionKeeper } from './io/session-keeper.js';
import { writeFileAtomic, writeFilesAtomic } from './io/files/atomic.js';
import { createParquetEncoder } from './io/parquet.js';
import type { Logger } from './io/logger.js';
import { StoreLock } from './io/lock.js';
import { SftpSource } from './io/sftp/index.js';
import { ReportWorkers, exportThreads } from './io/report-workers.js';
import { SqliteStore } from './io/store/index.js';
import type { WriteFile, WriteFiles } from './pipeline/export/ports.js';
import { exportOptionsFrom } from './pipeline/export/options.js';
import { writeManifest } from './pipeline/export/manifest.js';
import { defaultExportDays, runExport, type ExportSummary } from './pipeline/export/run.js';
import { runIngest, type IngestOptions, type IngestSummary } from './pipeline/ingest-run.js';
import { runPurge, type PurgeSummary } from './pipeline/purge-run.js';
import fs from 'node:fs';
import path from 'node:path';
import {
  forgetMissingExports,
  listExportFiles,
  removeExportFile,
  removeExportLeftovers,
} from './io/files/export-files.js';
import { REPORTS } from './reports/index.js';

/** An open store and the lock that guards it, released in reverse order. */
export type StoreHandle = { store: SqliteStore; close(): void };

/**
 * Opens (and migrates) the SQLite file. The caller holds the write lock, so a run the store
 * shows as still going was left by a process that died: it is ended as interrupted.
 */
function openSqlite(config: Config): { store: SqliteStore; interruptedRuns: number } {
  let store: SqliteStore | undefined;
  try {
    store = new SqliteStore({
      path: config.database.path,
      busyTimeoutMs: config.database.busyTimeoutMs,
      exportTimeZone: config.export.timezone,
      sourceTimeZone: config.source.timezone,
    });
    return { store, interruptedRuns: store.closeInterruptedRuns(Date.now()) };
  } catch (err) {
    store?.close();
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
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

/** One poll against the configured server, recorded in the store's run history. */
export async function ingestOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  signal?: AbortSignal,
  /** How slices are cut (tests and the bench; the service uses the defaults). */
  tuning: Pick<IngestOptions, 'sliceEvents' | 'batchSize' | 'memoryBudgetBytes'> = {},
  /** The service's kept SSH session; without it, a session of this poll's own. */
  sessions?: SessionKeeper<SftpSource>,
): Promise<IngestSummary> {
  const runId = storeStep(config, () => store.startRun('ingest', Date.now()));
  const runLog = log.child({ run: runId, job: 'ingest' });
  const kept = sessions ?? new SessionKeeper(() => SftpSource.connect(config.sftp, runLog), 0);
  let failed = true;
  try {
    const poll = (source: SftpSource) =>
      runIngest(
        { source, store, log: runLog, clock: Date.now, ...(signal ? { signal } : {}) },
        { ...config.sftp, sourceTimeZone: config.source.timezone, ...tuning },
      );
    const { session, reused } = await kept.acquire();
    let summary: IngestSummary;
    try {
      summary = await poll(session);
    } catch (err) {
      // A kept session the server dropped while it was idle fails at the first request:
      // connect again once, at once, instead of failing the poll into a backoff.
      if (!reused || sftpFailureOf(err) !== 'connection') throw err;
      runLog.info({ err: describeError(err) }, 'the kept SSH session was gone: connecting again');
      await kept.release(true);
      summary = await poll((await kept.acquire()).session);
    }
    const stopped =
      summary.stoppedEarly !== undefined && summary.stoppedEarly !== 'shutdown requested';
    failed = stopped;
    try {
      store.endRun(
        runId,
        !stopped,
        summary,
        stopped ? (summary.stoppedEarly ?? null) : null,
        Date.now(),
      );
    } catch (err) {
      throw new StoreStageFailure('record-run', summary.fetched, err);
    }
    runLog.info(
      { summary: compactSummary(summary) },
      stopped ? 'ingest stopped early' : 'ingest done',
    );
    return summary;
  } catch (err) {
    const failure = asStoreError(config.database.path, err);
    recordFailure(store, runId, failure, runLog);
    throw failure;
  } finally {
    // A session that failed is not kept; one that worked waits for the next poll.
    await kept.release(failed);
  }
}

/** Writes export files with the configured modes. */
function exportWriter(config: Config): WriteFile {
  const modes = { fileMode: config.export.fileMode, dirMode: config.export.dirMode };
  return (target, chunks, options) => writeFileAtomic(target, chunks, { ...options, ...modes });
}

/** Writes a report's day in every format at once, with the configured modes. */
function dayFilesWriter(config: Config): WriteFiles {
  const modes = { fileMode: config.export.fileMode, dirMode: config.export.dirMode };
  return (targets, chunks) => writeFilesAtomic(targets, chunks, modes);
}

/** Exports the given days (default: changed days plus yesterday), recorded in the run history. */
export async function exportOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  days?: readonly string[],
  signal?: AbortSignal,
): Promise<ExportSummary> {
  const runId = storeStep(config, () => store.startRun('export', Date.now()));
  const runLog = log.child({ run: runId, job: 'export' });
  try {
    // A killed export's temp files hold whole days of customer data: gone before this one.
    await tidyExportDir(config, store, runLog);
    const chosen = days ?? defaultExportDays(store, Date.now(), config.export.timezone);
    const opts = exportOptionsFrom(config);
    // With more than one CPU, a day's reports are rendered side by side in worker threads.
    const threads = exportThreads();
    const workers =
      threads > 1
        ? new ReportWorkers({
            dbPath: config.database.path,
            busyTimeoutMs: config.database.busyTimeoutMs,
            opts,
            size: threads,
            dirMode: config.export.dirMode,
          })
        : undefined;
    let summary: ExportSummary;
    try {
      summary = await runExport(
        {
          store,
          writeFile: exportWriter(config),
          writeFiles: dayFilesWriter(config),
          createParquet: createParquetEncoder,
          clock: Date.now,
          log: runLog,
          ...(workers ? { render: workers.render, concurrency: threads } : {}),
          ...(signal ? { signal } : {}),
        },
        opts,
        chosen,
      );
    } finally {
      await workers?.close();
    }
    const ok = summary.failures.length === 0;
    store.endRun(
      runId,
      ok,
      { days: summary.days, files: summary.files.length, failures: summary.failures },
      ok ? null : summary.failures.map((f) => `${f.path}: ${f.error}`).join('; '),
      Date.now(),
    );
    runLog.info(
      { days: summary.days.length, files: summary.files.length, failures: summary.failures.length },
      'export done',
    );
    return summary;
  } catch (err) {
    const failure = isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
    recordFailure(store, runId, failure, runLog);
    throw failure;
  }
}

/**
 * Before anything is written under export.dir: removes the temp files of a killed export
 * (they hold whole days of customer data), and forgets the records of files a killed purge
 * deleted, so the next manifest names exactly the files on disk. Returns how many records
 * it forgot.
 */
async function tidyExportDir(config: Config, store: SqliteStore, log: Logger): Promise<number> {
  const leftovers = await removeExportLeftovers(config.export.dir);
  if (leftovers.length)
    log.info({ files: leftovers.length }, 'removed temp files left by an interrupted export');
  const forgotten = forgetMissingExports(store);
  if (forgotten.length)
    log.info(
      { files: forgotten.length },
      'forgot the records of export files already deleted (an interrupted purge)',
    );
  return forgotten.length;
}

/** Applies retention now (or says what it would remove, with `dryRun`). */
export async function purgeOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  dryRun = false,
  signal?: AbortSignal,
  /** The service's kept SSH session, borrowed for the server's folders. */
  sessions?: SessionKeeper<SftpSource>,
): Promise<PurgeSummary> {
  const purgeLog = log.child({ job: 'purge' });
  const forgotten = dryRun ? 0 : await tidyExportDir(config, store, purgeLog);
  const summary = await storeStepAsync(config, () =>
    runPurge(
      {
        store,
        exportFiles: {
          list: () =>
            listExportFiles(
              config.export.dir,
              REPORTS.map((r) => r.name),
            ),
          remove: removeExportFile,
        },
        connect: sessions ? () => sessions.lease() : () => SftpSource.connect(config.sftp),
        clock: Date.now,
        log: purgeLog,
        ...(signal ? { signal } : {}),
      },
      {
        retention: config.retention,
        processedDir: config.sftp.processedDir,
        errorDir: config.sftp.errorDir,
        afterIngest: config.sftp.afterIngest,
        timeZone: config.export.timezone,
      },
      dryRun,
    ),
  );
  // A file deleted and its record forgotten are two steps: a kill between them is repaired
  // here, so the manifest names exactly the files on disk after any purge.
  const manifest = path.join(config.export.dir, 'manifest.json');
  if (!dryRun) forgetMissingExports(store);
  if (!dryRun && (summary.exports.length > 0 || forgotten > 0 || fs.existsSync(manifest))) {
    try {
      await writeManifest(store, exportWriter(config), {
        dir: config.export.dir,
        timeZone: config.export.timezone,
      });
    } catch (err) {
      summary.failures.push(`${manifest}: ${describeError(err)}`);
    }
  }
  return summary;
}

async function storeStepAsync<T>(config: Config, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
}

/** Runs a store call, turning a full disk or a lock held elsewhere into a StoreError. */
function storeStep<T>(config: Config, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
}

/** Records a failed run; when the store itself is failing (disk full), the log must do. */
function recordFailure(store: SqliteStore, runId: number, err: unknown, log: Logger): void {
  try {
    store.endRun(runId, false, null, describeError(err), Date.now());
  } catch (recordErr) {
    log.error({ err: describeError(recordErr) }, 'could not record the failed run in the store');
  }
}

function compactSummary(s: IngestSummary): object {
  return {
    listed: s.listed,
    fetched: s.fetched,
    changed: s.changed.length,
    notFetched: s.notFetched,
    newEvents: s.newEvents,
    duplicates: s.duplicates,
    conflicts: s.conflicts,
    otherEvents: s.otherEvents,
    quarantined: s.quarantined.length,
    waiting: s.waiting.length,
    finishErrors: s.finishErrors.length,
    fetchErrors: s.fetchErrors.length,
    seconds: s.seconds,
  };
}
