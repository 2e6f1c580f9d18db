import type { Config } from '../config/schema.js';
import { StoreError, isTransientStoreError } from '../errors.js';
import { writeFileAtomic, writeFilesAtomic } from '../io/files/atomic.js';
import { forgetMissingExports, removeExportLeftovers } from '../io/files/export-files.js';
import type { Logger } from '../io/logger.js';
import { createParquetEncoder } from '../io/parquet.js';
import type { SqliteStore } from '../io/store/index.js';
import type { WriteFile, WriteFiles } from '../pipeline/export/ports.js';
import { exportOptionsFrom } from '../pipeline/export/options.js';
import { defaultExportDays, runExport, type ExportSummary } from '../pipeline/export/run.js';
import { ReportWorkers, exportThreads } from './report-workers.js';
import { recordFailure, storeStep } from './store.js';

/** Writes export files with the configured modes. */
export function exportWriter(config: Config): WriteFile {
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
export async function tidyExportDir(
  config: Config,
  store: SqliteStore,
  log: Logger,
): Promise<number> {
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
