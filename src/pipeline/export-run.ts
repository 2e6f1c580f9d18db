import path from 'node:path';
import { stringify } from 'csv-stringify';
import {
  COLUMNS,
  REPORTS,
  reportFileName,
  toCsvRow,
  type Report,
  type ReportRow,
  type RowContext,
} from '../core/csv-rows.js';
import { addDays, dayInZone, dayRange } from '../core/days.js';
import { describeError } from '../errors.js';
import type { Clock, Log } from './ports.js';

export type ExportRecord = {
  report: Report;
  day: string;
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
  exportedAt: number;
};

/** The store as export sees it. */
export interface ExportStore {
  dirtyDays(): string[];
  clearDirty(day: string, exportStartedMs: number): void;
  markDirty(day: string, nowMs: number): void;
  iterateRows(report: Report, startMs: number, endMs: number): Iterator<ReportRow>;
  recordExport(rec: ExportRecord): void;
  exportRecords(): ExportRecord[];
}

/** Writes one file atomically; the real one is `io/csv-writer.ts`. */
export type WriteFile = (
  target: string,
  chunks: AsyncIterable<string> | Iterable<string>,
) => Promise<{ path: string; bytes: number; sha256: string }>;

export type ExportOptions = RowContext & {
  dir: string;
  bom: boolean;
  /** Rows turned into CSV between writes: memory stays bounded whatever a day holds. */
  pageSize?: number;
};

export type ExportSummary = {
  days: string[];
  files: { report: Report; day: string; path: string; rows: number; bytes: number }[];
  failures: { path: string; error: string }[];
  manifest: string;
  seconds: number;
};

/** The default set: every day changed since its last export, plus yesterday, oldest first. */
export function defaultExportDays(
  store: Pick<ExportStore, 'dirtyDays'>,
  nowMs: number,
  timeZone: string,
): string[] {
  const yesterday = addDays(dayInZone(nowMs, timeZone), -1);
  return [...new Set([...store.dirtyDays(), yesterday])].sort();
}

type Deps = { store: ExportStore; writeFile: WriteFile; clock: Clock; log: Log };

/**
 * Writes `<dir>/<report>/<report>-<day>.csv` for every report and day, then manifest.json.
 * A day is cleared from the changed list only when all its files were written; a failed
 * write leaves the previous file in place and the day marked for the next export.
 */
export async function runExport(
  deps: Deps,
  opts: ExportOptions,
  days: readonly string[],
): Promise<ExportSummary> {
  const { store, writeFile, clock, log } = deps;
  const started = clock();
  const summary: ExportSummary = {
    days: [...days],
    files: [],
    failures: [],
    manifest: '',
    seconds: 0,
  };
  for (const day of days) {
    let dayOk = true;
    for (const report of REPORTS) {
      const target = path.join(opts.dir, reportFileName(report, day));
      const counter = { rows: 0 };
      try {
        const written = await writeFile(target, reportChunks(store, opts, report, day, counter));
        store.recordExport({
          report,
          day,
          path: target,
          rows: counter.rows,
          bytes: written.bytes,
          sha256: written.sha256,
          exportedAt: clock(),
        });
        summary.files.push({ report, day, path: target, rows: counter.rows, bytes: written.bytes });
      } catch (err) {
        dayOk = false;
        const error = describeError(err);
        summary.failures.push({ path: target, error });
        log.error(
          { path: target, err: error },
          'export file not written; the previous file is intact and the day will be exported again',
        );
      }
    }
    if (dayOk) store.clearDirty(day, started);
    else store.markDirty(day, clock());
  }
  const manifest = path.join(opts.dir, 'manifest.json');
  try {
    await writeFile(manifest, [manifestJson(store.exportRecords(), opts, clock())]);
  } catch (err) {
    summary.failures.push({ path: manifest, error: describeError(err) });
  }
  summary.manifest = manifest;
  summary.seconds = (clock() - started) / 1000;
  return summary;
}

async function* reportChunks(
  store: ExportStore,
  opts: ExportOptions,
  report: Report,
  day: string,
  counter: { rows: number },
): AsyncGenerator<string> {
  const { startMs, endMs } = dayRange(day, opts.timeZone);
  const pageSize = opts.pageSize ?? 1000;
  // One csv-stringify stream per file; its transform is synchronous, so each page's CSV
  // can be read straight back out and memory holds one page at a time.
  const csv = stringify({ bom: opts.bom, header: true, columns: [...COLUMNS[report]] });
  csv.setEncoding('utf8');
  const drain = (): string => {
    let out = '';
    for (let c = csv.read() as string | null; c !== null; c = csv.read() as string | null) out += c;
    return out;
  };
  const rows = store.iterateRows(report, startMs, endMs);
  try {
    let inPage = 0;
    for (let r = rows.next(); !r.done; r = rows.next()) {
      csv.write(toCsvRow(report, r.value, opts));
      counter.rows++;
      if (++inPage === pageSize) {
        inPage = 0;
        yield drain();
      }
    }
  } finally {
    rows.return?.();
  }
  // With no rows at all, csv-stringify still writes the header (and BOM) when it ends.
  const tail: string[] = [drain()];
  await new Promise<void>((resolve, reject) => {
    csv.on('data', (c: string) => tail.push(c));
    csv.once('end', resolve);
    csv.once('error', reject);
    csv.end();
  });
  yield tail.join('');
}

function manifestJson(records: ExportRecord[], opts: ExportOptions, nowMs: number): string {
  return `${JSON.stringify(
    {
      generatedAt: new Date(nowMs).toISOString(),
      timezone: opts.timeZone,
      files: records.map((r) => ({
        report: r.report,
        day: r.day,
        path: path.relative(opts.dir, r.path).split(path.sep).join('/'),
        rows: r.rows,
        bytes: r.bytes,
        sha256: r.sha256,
        exportedAt: new Date(r.exportedAt).toISOString(),
      })),
    },
    null,
    2,
  )}\n`;
}
