import path from 'node:path';
import { addDays, dayInZone, dayRange, isValidDay } from '../../core/days.js';
import { describeError, throwIfStopped } from '../../errors.js';
import { REPORTS, reportFileName, type ExportFormat } from '../../reports/index.js';
import { mapPool } from '../pool.js';
import type { Clock, Log } from '../ports.js';
import { writeManifest } from './manifest.js';
import { exportFormats, type ExportOptions } from './options.js';
import type {
  CreateTableEncoder,
  ExportRecord,
  ExportStore,
  RenderReport,
  WriteFile,
  WriteFiles,
} from './ports.js';
import { reportChunks, reportContext, reportParams } from './render.js';

/** What an export did: the files it wrote (or left as they were), what failed, what it skipped. */
export type ExportSummary = {
  days: string[];
  files: (Omit<ExportRecord, 'sha256' | 'exportedAt'> & {
    /** Same bytes as the file already there, which was left untouched. */
    unchanged: boolean;
  })[];
  failures: { path: string; error: string }[];
  /** Set when the export stopped before its last day (a shutdown): the rest stay marked. */
  stoppedEarly?: string;
  /** Days left as written because retention removed their events from the store. */
  skipped: string[];
  manifest: string;
  seconds: number;
};

/** A day an export can write: YYYY-MM-DD, a real date, from 2000 on. */
export function isReportableDay(day: string): boolean {
  return isValidDay(day) && day >= '2000-01-01';
}

/** The default set: every day changed since its last export, plus yesterday, oldest first. */
export function defaultExportDays(
  store: Pick<ExportStore, 'changedDays'>,
  nowMs: number,
  timeZone: string,
): string[] {
  const yesterday = addDays(dayInZone(nowMs, timeZone), -1);
  return [...new Set([...store.changedDays(), yesterday])].sort();
}

type Deps = {
  store: ExportStore;
  /** Writes manifest.json and datapackage.json, and a day's CSV when `writeFiles` is absent. */
  writeFile: WriteFile;
  /** Writes a report's day in every format at once (needed for Parquet). */
  writeFiles?: WriteFiles;
  /** The Parquet encoder, for rendering in this thread (workers bring their own). */
  createParquet?: CreateTableEncoder;
  clock: Clock;
  log: Log;
  render?: RenderReport;
  /** Reports of a day written at once (default 1; more pays only with `render` in workers). */
  concurrency?: number;
  /** Stops the export: the file being written is abandoned (its temp file removed). */
  signal?: AbortSignal;
};

/** The chunks of a file, ending in StopRequested as soon as `signal` fires. */
async function* untilStopped<T>(
  chunks: AsyncIterable<T> | Iterable<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  for await (const chunk of chunks) {
    throwIfStopped(signal);
    yield chunk;
  }
}

/**
 * Writes `<dir>/<report>/<report>-<day>.csv` (and, with Parquet in `formats`, its Parquet
 * file) for every report and day, then manifest.json and datapackage.json. A day is cleared
 * from the changed list only when all its files were written; a failed write leaves the
 * previous files in place and the day marked for the next export. A file whose content did
 * not change is left untouched, so re-running an export changes no byte.
 */
export async function runExport(
  deps: Deps,
  opts: ExportOptions,
  days: readonly string[],
): Promise<ExportSummary> {
  const { store, clock, log } = deps;
  const started = clock();
  const formats = exportFormats(opts);
  const summary: ExportSummary = {
    days: [...days],
    files: [],
    failures: [],
    skipped: [],
    manifest: '',
    seconds: 0,
  };
  const writeFiles = dayWriter(deps, formats);
  const horizon = store.storeHorizon();
  for (const day of days) {
    if (deps.signal?.aborted) {
      summary.stoppedEarly = 'shutdown requested';
      break;
    }
    // A changed day that is no calendar day in range (a store from before dates were bounded
    // at ingest) can never be written: report it once and drop it, never fail every export.
    if (!isReportableDay(day)) {
      const error = `"${day}" is not a calendar day from 2000-01-01 to 9999-12-31; dropped from the changed days`;
      summary.failures.push({ path: day, error });
      log.error({ day, err: error }, 'day not exported');
      store.clearChanged(day, started);
      continue;
    }
    // Its events are gone from the store: writing it again would empty files that were right.
    if (horizon !== undefined && dayRange(day, opts.timeZone).startMs < horizon) {
      summary.skipped.push(day);
      store.clearChanged(day, started);
      continue;
    }
    // Built here for every day, so a setting no row can be written with fails the export.
    const ctx = reportContext(opts, day);
    const params = reportParams(opts, day);
    const render: RenderReport =
      deps.render ??
      ((report, _day, counter) =>
        reportChunks(store, report, params, ctx, opts, counter, deps.createParquet));
    const reports = opts.reports ?? REPORTS;
    const written = await mapPool(reports, deps.concurrency ?? 1, async (report) => {
      const targets = formats.map((format) => {
        const target = path.join(opts.dir, reportFileName(report.name, day, format));
        const previous = store.findExport(report.name, day, format);
        return {
          format,
          path: target,
          unchangedSha: previous?.path === target ? previous.sha256 : undefined,
        };
      });
      const counter = { rows: 0 };
      try {
        const files = await writeFiles(
          targets,
          untilStopped(render(report, day, counter), deps.signal),
        );
        const { rows } = counter;
        return {
          files: targets.map((t, i) => {
            const file = files[i] ?? { bytes: 0, sha256: '', unchanged: false };
            const unchanged = file.unchanged === true;
            const written = {
              report: report.name,
              day,
              format: t.format,
              path: t.path,
              rows,
              bytes: file.bytes,
            };
            if (!unchanged)
              store.recordExport({ ...written, sha256: file.sha256, exportedAt: clock() });
            return { ...written, unchanged };
          }),
        };
      } catch (err) {
        const error = describeError(err);
        const where = targets.map((t) => t.path).join(', ');
        log.error(
          { path: where, err: error },
          'export file not written; the previous file is intact and the day will be exported again',
        );
        return { failure: { path: targets[0]?.path ?? where, error } };
      }
    });
    // In report order, whichever finished first.
    let dayOk = true;
    for (const r of written) {
      if (!r.ok) throw r.error;
      if (r.value.files) summary.files.push(...r.value.files);
      if (r.value.failure) {
        dayOk = false;
        summary.failures.push(r.value.failure);
      }
    }
    if (dayOk) store.clearChanged(day, started);
    else store.markChanged(day, clock());
  }
  const manifest = path.join(opts.dir, 'manifest.json');
  try {
    await writeManifest(store, deps.writeFile, opts);
  } catch (err) {
    summary.failures.push({ path: manifest, error: describeError(err) });
  }
  summary.manifest = manifest;
  summary.seconds = (clock() - started) / 1000;
  return summary;
}

/**
 * How a report's day files are written: with `writeFiles` all formats at once; without it
 * (CSV only) through `writeFile`, the CSV chunks passed on as text.
 */
function dayWriter(deps: Deps, formats: readonly ExportFormat[]): WriteFiles {
  if (deps.writeFiles) return deps.writeFiles;
  if (formats.length > 1) throw new Error('writing Parquet needs deps.writeFiles');
  return async (targets, chunks) => {
    const [target] = targets;
    if (!target) return [];
    async function* csvText(): AsyncGenerator<string> {
      for await (const c of chunks) if (c.file === 0) yield String(c.data);
    }
    return [await deps.writeFile(target.path, csvText(), { unchangedSha: target.unchangedSha })];
  };
}
