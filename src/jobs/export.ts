import fs from 'node:fs';
import path from 'node:path';
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
import { REPORTS, reportFileName } from '../reports/index.js';
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
    // At least one group, even for no days: the manifest is written all the same.
    const [[firstConfig, firstDays], ...more] = formatGroups(config, chosen);
    let summary = await exportDays(firstConfig, store, runLog, firstDays, signal);
    for (const [cfg, some] of more) {
      if (summary.stoppedEarly) break;
      summary = joinSummaries(summary, await exportDays(cfg, store, runLog, some, signal));
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

/** Writes the given days' files (and the manifest) in the formats `config` names. */
async function exportDays(
  config: Config,
  store: SqliteStore,
  log: Logger,
  days: readonly string[],
  signal: AbortSignal | undefined,
): Promise<ExportSummary> {
  const opts = exportOptionsFrom(config);
  // With more than one CPU, a day's reports are rendered side by side in worker threads.
  const threads = exportThreads();
  const workers =
    threads > 1 && days.length > 0
      ? new ReportWorkers({
          dbPath: config.database.path,
          busyTimeoutMs: config.database.busyTimeoutMs,
          opts,
          size: threads,
          dirMode: config.export.dirMode,
        })
      : undefined;
  try {
    return await runExport(
      {
        store,
        writeFile: exportWriter(config),
        writeFiles: dayFilesWriter(config),
        createParquet: createParquetEncoder,
        clock: Date.now,
        log,
        ...(workers ? { render: workers.render, concurrency: threads } : {}),
        ...(signal ? { signal } : {}),
      },
      opts,
      days,
    );
  } finally {
    await workers?.close();
  }
}

/**
 * The days to write, grouped by formats: as `export.formats` says, and as Parquet too for
 * a day with a Parquet file there although `export.formats` no longer has Parquet (written
 * while it did). A file the manifest lists is never left stale by a restatement or an
 * erasure; a day without one gets none. Never empty: with no days, one group of none.
 */
export function formatGroups(
  config: Config,
  days: readonly string[],
): [FormatGroup, ...FormatGroup[]] {
  if (config.export.formats.includes('parquet')) return [[config, [...days]]];
  const dir = path.resolve(config.export.dir);
  const hasParquet = (day: string) =>
    REPORTS.some((r) => fs.existsSync(path.join(dir, reportFileName(r.name, day, 'parquet'))));
  const withParquet = new Set(days.filter(hasParquet));
  if (withParquet.size === 0) return [[config, [...days]]];
  const parquet: Config = { ...config, export: { ...config.export, formats: ['csv', 'parquet'] } };
  const csvOnly = days.filter((d) => !withParquet.has(d));
  const parquetGroup: FormatGroup = [parquet, [...withParquet]];
  return csvOnly.length > 0 ? [[config, csvOnly], parquetGroup] : [parquetGroup];
}

/** Days exported with one config's formats. */
type FormatGroup = [Config, string[]];

/** Two parts of one export as one summary (the manifest and skipped days are the last's). */
function joinSummaries(a: ExportSummary, b: ExportSummary): ExportSummary {
  return {
    days: [...a.days, ...b.days].sort(),
    files: [...a.files, ...b.files],
    failures: [...a.failures, ...b.failures],
    ...(b.stoppedEarly ? { stoppedEarly: b.stoppedEarly } : {}),
    skipped: [...a.skipped, ...b.skipped].sort(),
    manifest: b.manifest,
    seconds: a.seconds + b.seconds,
  };
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
