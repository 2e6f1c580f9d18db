import { mergeLabels } from './core/csv-rows.js';
import type { Config } from './config/schema.js';
import { StoreError, describeError, isTransientStoreError } from './errors.js';
import { writeFileAtomic, writeFilesAtomic } from './io/csv-writer.js';
import { createParquetEncoder } from './io/parquet.js';
import type { Logger } from './io/logger.js';
import { StoreLock } from './io/lock.js';
import { SftpSource } from './io/sftp-source.js';
import { ReportWorkers, exportThreads } from './io/report-workers.js';
import { SqliteStore } from './io/sqlite-store.js';
import {
  defaultExportDays,
  runExport,
  writeManifest,
  type ExportOptions,
  type ExportSummary,
  type WriteFile,
  type WriteFiles,
} from './pipeline/export-run.js';
import { runIngest, type IngestSummary } from './pipeline/ingest-run.js';
import { runPurge, type PurgeSummary } from './pipeline/purge-run.js';
import { listExportFiles, removeExportFile, removeExportLeftovers } from './io/export-files.js';
import { REPORTS } from './reports/index.js';

/** An open store and the lock that guards it, released in reverse order. */
export type StoreHandle = { store: SqliteStore; close(): void };

/** Takes the store's lock, then opens (and migrates) the SQLite file. */
export function openStore(config: Config): StoreHandle {
  // Taking the lock writes to <database>.lock: a full disk fails here, and says so.
  const lock = storeStep(config, () => StoreLock.acquire(config.database.path));
  let store: SqliteStore;
  try {
    store = new SqliteStore({
      path: config.database.path,
      busyTimeoutMs: config.database.busyTimeoutMs,
      exportTimeZone: config.export.timezone,
      sourceTimeZone: config.source.timezone,
    });
  } catch (err) {
    lock.release();
    throw isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
  }
  return {
    store,
    close() {
      store.close();
      lock.release();
    },
  };
}

/** One poll against the configured server, recorded in the store's run history. */
export async function ingestOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  signal?: AbortSignal,
): Promise<IngestSummary> {
  const runId = storeStep(config, () => store.startRun('ingest', Date.now()));
  const runLog = log.child({ run: runId, job: 'ingest' });
  let source: SftpSource | undefined;
  try {
    source = await SftpSource.connect(config.sftp);
    const summary = await runIngest(
      { source, store, log: runLog, clock: Date.now, ...(signal ? { signal } : {}) },
      { ...config.sftp, sourceTimeZone: config.source.timezone },
    );
    const failed =
      summary.stoppedEarly !== undefined && summary.stoppedEarly !== 'shutdown requested';
    store.endRun(
      runId,
      !failed,
      summary,
      failed ? (summary.stoppedEarly ?? null) : null,
      Date.now(),
    );
    runLog.info(
      { summary: compactSummary(summary) },
      failed ? 'ingest stopped early' : 'ingest done',
    );
    return summary;
  } catch (err) {
    const failure = isTransientStoreError(err) ? new StoreError(config.database.path, err) : err;
    recordFailure(store, runId, failure, runLog);
    throw failure;
  } finally {
    await source?.close();
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
): Promise<ExportSummary> {
  const runId = storeStep(config, () => store.startRun('export', Date.now()));
  const runLog = log.child({ run: runId, job: 'export' });
  try {
    // A killed export's temp files hold whole days of customer data: gone before this one.
    const leftovers = await removeExportLeftovers(config.export.dir);
    if (leftovers.length)
      runLog.info({ files: leftovers.length }, 'removed temp files left by an interrupted export');
    const chosen = days ?? defaultExportDays(store, Date.now(), config.export.timezone);
    const opts: ExportOptions = {
      dir: config.export.dir,
      bom: config.export.bom,
      timeZone: config.export.timezone,
      labels: mergeLabels(config.export.statusLabels),
      escapeFormulas: config.export.escapeFormulas,
      classes: config.export.statusClasses,
      optOutWords: config.export.optOutWords,
      addressMode: config.export.addressMode,
      hashKey: config.export.hashKey,
      formats: config.export.formats,
    };
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

/** Applies retention now (or says what it would remove, with `dryRun`). */
export async function purgeOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  dryRun = false,
): Promise<PurgeSummary> {
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
        connect: () => SftpSource.connect(config.sftp),
        clock: Date.now,
        log: log.child({ job: 'purge' }),
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
  if (summary.exports.length && !dryRun) {
    try {
      await writeManifest(store, exportWriter(config), {
        dir: config.export.dir,
        timeZone: config.export.timezone,
      });
    } catch (err) {
      summary.failures.push(`${config.export.dir}/manifest.json: ${describeError(err)}`);
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
