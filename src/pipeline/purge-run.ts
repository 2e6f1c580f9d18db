import { posix } from 'node:path';
import { addDays, dayInZone, dayRange } from '../core/days.js';
import { describeError } from '../errors.js';
import type { Clock, Log, Source } from './ports.js';

export type RetentionSettings = {
  processedDays: number | null;
  errorDays: number | null;
  exportDays: number | null;
  storeDays: number | null;
};

/** What retention removed from the store (see SqliteStore.purgeBefore). */
export type StoreRemoval = {
  sends: number;
  inbound: number;
  statuses: number;
  rawEvents: number;
  quarantined: number;
  files: number;
};

export interface PurgeStore {
  purgeBefore(cutoffMs: number, dryRun: boolean): StoreRemoval;
  removeExportRecord(report: string, day: string, format?: 'csv' | 'parquet'): void;
}

/** The day files under export.dir, as retention sees them; `io/files/export-files.ts` is the real one. */
export interface ExportFiles {
  list(): { report: string; day: string; format?: 'csv' | 'parquet'; path: string }[];
  remove(path: string): void;
}

export type PurgeOptions = {
  retention: RetentionSettings;
  processedDir: string;
  errorDir: string;
  /** Only `move` fills processedDir. */
  afterIngest: 'move' | 'delete' | 'keep';
  timeZone: string;
};

export type PurgeSummary = {
  dryRun: boolean;
  server: { processed: string[]; error: string[] };
  exports: string[];
  store: (StoreRemoval & { before: string }) | null;
  failures: string[];
};

const DAY_MS = 86_400_000;

/**
 * Applies retention: files older than `processedDays`/`errorDays` in processedDir/errorDir
 * (never anywhere else on the server), CSV day files older than `exportDays`, and events
 * older than `storeDays`. A setting of null keeps everything of its kind. With `dryRun`, says
 * what it would remove and removes nothing.
 */
export async function runPurge(
  deps: {
    store: PurgeStore;
    exportFiles: ExportFiles;
    /** Opened only when a server folder has a retention. */
    connect?: () => Promise<Source>;
    clock: Clock;
    log: Log;
    /** Stops between two removals (what was removed stays removed and recorded). */
    signal?: AbortSignal;
  },
  opts: PurgeOptions,
  dryRun: boolean,
): Promise<PurgeSummary> {
  const { retention: r } = opts;
  const now = deps.clock();
  const today = dayInZone(now, opts.timeZone);
  const summary: PurgeSummary = {
    dryRun,
    server: { processed: [], error: [] },
    exports: [],
    store: null,
    failures: [],
  };

  if (r.exportDays !== null) {
    // A day file older than exportDays: its day ended more than exportDays days ago.
    const oldest = addDays(today, -r.exportDays);
    for (const f of deps.exportFiles.list()) {
      if (deps.signal?.aborted) break;
      if (f.day >= oldest) continue;
      // Counted once removed (or, in a dry run, once chosen): never an attempt that failed.
      if (dryRun) {
        summary.exports.push(f.path);
        continue;
      }
      try {
        deps.exportFiles.remove(f.path);
        deps.store.removeExportRecord(f.report, f.day, f.format ?? 'csv');
        summary.exports.push(f.path);
      } catch (err) {
        summary.failures.push(`${f.path}: ${describeError(err)}`);
      }
    }
  }

  if (r.storeDays !== null && !deps.signal?.aborted) {
    // Aligned to the start of a day in the export zone, so no day is left half in the store.
    const cutoff = dayRange(addDays(today, -r.storeDays), opts.timeZone).startMs;
    summary.store = {
      ...deps.store.purgeBefore(cutoff, dryRun),
      before: new Date(cutoff).toISOString(),
    };
  }

  const folders: { key: 'processed' | 'error'; dir: string; days: number | null }[] = [
    {
      key: 'processed',
      dir: opts.processedDir,
      days: opts.afterIngest === 'move' ? r.processedDays : null,
    },
    { key: 'error', dir: opts.errorDir, days: r.errorDays },
  ];
  if (folders.some((f) => f.days !== null) && deps.connect && !deps.signal?.aborted) {
    let source: Source | undefined;
    try {
      source = await deps.connect();
      for (const f of folders) {
        if (f.days === null || !(await source.exists(f.dir))) continue;
        const cutoff = now - f.days * DAY_MS;
        for (const e of await source.list(f.dir)) {
          if (deps.signal?.aborted) break;
          if (!e.isFile || e.mtimeMs >= cutoff) continue;
          const file = posix.join(f.dir, e.name);
          if (dryRun) {
            summary.server[f.key].push(file);
            continue;
          }
          try {
            await source.remove(file);
            summary.server[f.key].push(file);
          } catch (err) {
            summary.failures.push(`${file}: ${describeError(err)}`);
          }
        }
      }
    } catch (err) {
      summary.failures.push(`sftp: ${describeError(err)}`);
    } finally {
      await source?.close();
    }
  }
  deps.log.info(
    {
      dryRun,
      processed: summary.server.processed.length,
      error: summary.server.error.length,
      exports: summary.exports.length,
      store: summary.store,
      failures: summary.failures.length,
    },
    dryRun ? 'retention dry run' : 'retention applied',
  );
  return summary;
}
