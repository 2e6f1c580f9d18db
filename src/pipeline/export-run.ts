import { createHmac } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { csvCellWriter } from '../core/csv-cells.js';
import { addDays, dayInZone, dayRange, isValidDay } from '../core/days.js';
import { classOf, foldOptOut, type StatusClass, type StatusClasses } from '../core/outcomes.js';
import { describeError, throwIfStopped } from '../errors.js';
import {
  REPORTS,
  reportFileName,
  textOf,
  type Cell,
  type ExportFormat,
  type ReportColumn,
  type ReportContext,
  type ReportDefinition,
  type ReportParams,
} from '../reports/index.js';
import { datapackageJson } from './datapackage.js';
import { mapPool } from './pool.js';
import type { Clock, Log } from './ports.js';

export type ExportRecord = {
  report: string;
  day: string;
  format: ExportFormat;
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
  /** One day of a report's rows, stepped lazily in the report's order. */
  iterateRows(report: ReportDefinition, params: ReportParams): Iterator<unknown[]>;
  recordExport(rec: ExportRecord): void;
  exportRecords(): ExportRecord[];
  findExport(report: string, day: string, format: ExportFormat): ExportRecord | undefined;
  /** Epoch ms before which retention removed events (retention.storeDays), if ever. */
  storeHorizon(): number | undefined;
}

/**
 * Writes one file atomically; the real one is `io/csv-writer.ts`. When the content hashes to
 * `unchangedSha` (or to the target's own hash, with `compareWithTarget`) and the target is
 * there, the target is left untouched (`unchanged`).
 */
export type WriteFile = (
  target: string,
  chunks: AsyncIterable<string> | Iterable<string>,
  options?: { unchangedSha?: string | undefined; compareWithTarget?: boolean },
) => Promise<{ path: string; bytes: number; sha256: string; unchanged?: boolean }>;

/** A piece of one of the files written together: `file` is its index among the targets. */
export type ExportChunk = { file: number; data: string | Uint8Array };

/**
 * Writes several files from one stream of chunks, each atomically, as `WriteFile` does (a
 * report's day in every format at once, from one pass over its rows); the real one is
 * `io/csv-writer.ts`. A failure leaves every previous file intact.
 */
export type WriteFiles = (
  targets: readonly { path: string; unchangedSha?: string | undefined }[],
  chunks: AsyncIterable<ExportChunk> | Iterable<ExportChunk>,
) => Promise<{ path: string; bytes: number; sha256: string; unchanged?: boolean }[]>;

/**
 * Encodes a report's rows into a Parquet file (`io/parquet.ts`): each `add` may return the
 * bytes of a finished row group, `finish` returns the rest of the file.
 */
export interface TableEncoder {
  add(cells: readonly Cell[]): Uint8Array | undefined;
  finish(): Uint8Array;
}
export type CreateTableEncoder = (columns: readonly ReportColumn[]) => TableEncoder;

export type ExportOptions = {
  dir: string;
  bom: boolean;
  timeZone: string;
  labels: Readonly<Record<string, string>>;
  escapeFormulas: boolean;
  classes: StatusClasses;
  optOutWords: readonly string[];
  /** How customer addresses are written (counts always use the real ones). */
  addressMode?: 'plain' | 'hash' | 'mask';
  /** The HMAC key for addressMode "hash". */
  hashKey?: string | undefined;
  /**
   * Rows turned into CSV between writes (default 250): memory stays bounded whatever a day
   * holds. A page stays well under V8's large-object size (about 128 KB), so it is young
   * garbage, freed at once, instead of old memory that only a full collection returns.
   */
  pageSize?: number;
  /** Which reports to write (default: all). */
  reports?: readonly ReportDefinition[];
  /** The formats written (`export.formats`, default CSV only); CSV always comes first. */
  formats?: readonly ExportFormat[];
};

export type ExportSummary = {
  days: string[];
  files: {
    report: string;
    day: string;
    format: ExportFormat;
    path: string;
    rows: number;
    bytes: number;
    /** Same bytes as the file already there, which was left untouched. */
    unchanged: boolean;
  }[];
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
  store: Pick<ExportStore, 'dirtyDays'>,
  nowMs: number,
  timeZone: string,
): string[] {
  const yesterday = addDays(dayInZone(nowMs, timeZone), -1);
  return [...new Set([...store.dirtyDays(), yesterday])].sort();
}

/** The cell rules and classes of one export, shared by every report's row mapping. */
export function reportContext(opts: ExportOptions, day: string): ReportContext {
  const classOfCode = new Map<string, StatusClass>();
  const classify = (code: string): StatusClass => {
    let cls = classOfCode.get(code);
    if (cls === undefined) {
      cls = classOf(code, opts.classes);
      classOfCode.set(code, cls);
    }
    return cls;
  };
  const pseudonym = addressPseudonym(opts);
  const address = pseudonym
    ? (value: unknown): string =>
        value === null || value === undefined || value === '' ? '' : pseudonym(String(value))
    : textOf;
  return {
    day,
    timeZone: opts.timeZone,
    labels: opts.labels,
    classes: opts.classes,
    optOutWords: opts.optOutWords,
    classify,
    address,
    payload: (json) => {
      if (!pseudonym) return json;
      const event = JSON.parse(json) as Record<string, unknown>;
      if (event.outboundChannelAddress === undefined) return json;
      return JSON.stringify({
        ...event,
        outboundChannelAddress: address(event.outboundChannelAddress),
      });
    },
  };
}

/**
 * How a customer address is pseudonymised, or undefined for plain. "hash": HMAC-SHA256 hex,
 * so the same address always gives the same value and BI can still count and join; "mask":
 * all but the last 4 characters replaced by `*`.
 */
function addressPseudonym(opts: ExportOptions): ((address: string) => string) | undefined {
  if (opts.addressMode === 'hash') {
    const key = opts.hashKey;
    if (!key) throw new Error('addressMode "hash" needs hashKey');
    return (a) => createHmac('sha256', key).update(a, 'utf8').digest('hex');
  }
  if (opts.addressMode === 'mask') {
    return (a) => {
      const chars = [...a];
      return '*'.repeat(Math.max(0, chars.length - 4)) + chars.slice(-4).join('');
    };
  }
  return undefined;
}

/** The named parameters of every report query for one day. */
export function reportParams(
  opts: Pick<ExportOptions, 'timeZone' | 'classes' | 'optOutWords'>,
  day: string,
): ReportParams {
  const { startMs, endMs } = dayRange(day, opts.timeZone);
  const words = opts.optOutWords.map(foldOptOut);
  return {
    start: startMs,
    end: endMs,
    delivered: JSON.stringify(opts.classes.delivered),
    failed: JSON.stringify(opts.classes.failed),
    optOutWords: JSON.stringify(words),
    optOutMaxLength: Math.max(0, ...words.map((w) => w.length)),
    whitespace: WHITESPACE,
  };
}

/** ECMAScript's WhiteSpace and LineTerminator characters: what String.prototype.trim removes. */
const WHITESPACE =
  '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/**
 * Renders one report's day in every format of the export (CSV text for file 0, Parquet
 * bytes for file 1), counting its rows into `counter`. By default the export renders in this
 * thread from `store`; `io/report-workers.ts` renders in worker threads, each with its own
 * read-only connection, so reports are written side by side.
 */
export type RenderReport = (
  report: ReportDefinition,
  day: string,
  counter: { rows: number },
) => AsyncIterable<ExportChunk> | Iterable<ExportChunk>;

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

/** The formats of an export, CSV first, each once. */
export function exportFormats(opts: Pick<ExportOptions, 'formats'>): ExportFormat[] {
  const formats = opts.formats ?? ['csv'];
  return formats.includes('parquet') ? ['csv', 'parquet'] : ['csv'];
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
      store.clearDirty(day, started);
      continue;
    }
    // Its events are gone from the store: writing it again would empty files that were right.
    if (horizon !== undefined && dayRange(day, opts.timeZone).startMs < horizon) {
      summary.skipped.push(day);
      store.clearDirty(day, started);
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
            if (!unchanged) {
              store.recordExport({
                report: report.name,
                day,
                format: t.format,
                path: t.path,
                rows,
                bytes: file.bytes,
                sha256: file.sha256,
                exportedAt: clock(),
              });
            }
            return {
              report: report.name,
              day,
              format: t.format,
              path: t.path,
              rows,
              bytes: file.bytes,
              unchanged,
            };
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
    if (dayOk) store.clearDirty(day, started);
    else store.markDirty(day, clock());
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

/**
 * One report's day as chunks: CSV text (file 0) a page of rows at a time, written by
 * csv-stringify's sync API (RFC 4180, the cells already formula-escaped and cleaned by
 * `core/csv-cells.ts`), and, with a Parquet encoder, Parquet bytes (file 1) a row group at a
 * time, from the same rows in the same order, with values as stored.
 */
export function* reportChunks(
  store: ExportStore,
  report: ReportDefinition,
  params: ReportParams,
  ctx: ReportContext,
  opts: ExportOptions,
  counter: { rows: number },
  createParquet?: CreateTableEncoder,
  /**
   * Which files to render (default: CSV, and Parquet when `opts.formats` has it), and
   * whether the CSV starts with its header: a later time slice of a day has none.
   */
  parts: { csv?: boolean; parquet?: boolean; header?: boolean } = {},
): Generator<ExportChunk> {
  const pageSize = opts.pageSize ?? 250;
  const toCsv = csvCellWriter(report.columns, opts);
  const csv = parts.csv ?? true;
  const withParquet = parts.parquet ?? exportFormats(opts).includes('parquet');
  if (withParquet && !createParquet) throw new Error('writing Parquet needs a Parquet encoder');
  const encoder = withParquet ? createParquet?.(report.columns) : undefined;
  // The BOM and the header start the first page; memory holds one page at a time.
  const header =
    parts.header === false
      ? ''
      : (opts.bom ? '\ufeff' : '') + stringify([report.columns.map((c) => c.name)]);
  let page: string[][] = [];
  let first = true;
  const flush = (): string => {
    const text = (first ? header : '') + (page.length ? stringify(page) : '');
    first = false;
    page = [];
    return text;
  };
  const rows = store.iterateRows(report, params);
  try {
    for (let r = rows.next(); !r.done; r = rows.next()) {
      const cells = report.toRow(r.value, ctx);
      counter.rows++;
      if (encoder) {
        const bytes = encoder.add(cells);
        if (bytes) yield { file: 1, data: bytes };
        if (!csv) continue;
        page.push(toCsv(cells));
      } else {
        // Nothing else reads the cells: the CSV cells take their place (one array less a row).
        page.push(toCsv(cells, cells));
      }
      if (page.length === pageSize) yield { file: 0, data: flush() };
    }
  } finally {
    rows.return?.();
  }
  if (csv) yield { file: 0, data: flush() };
  if (encoder) yield { file: 1, data: encoder.finish() };
}

/**
 * Writes the export's index files from the recorded exports, each untouched when unchanged:
 * `<dir>/manifest.json` (every file with its checksum) and `<dir>/datapackage.json` (the
 * Table Schema of every report and its CSV day files).
 */
export async function writeManifest(
  store: Pick<ExportStore, 'exportRecords'>,
  writeFile: WriteFile,
  opts: Pick<ExportOptions, 'dir' | 'timeZone'>,
): Promise<void> {
  const records = filesInside(opts.dir, store.exportRecords());
  await writeFile(path.join(opts.dir, 'manifest.json'), [manifestJson(records, opts)], {
    compareWithTarget: true,
  });
  await writeFile(path.join(opts.dir, 'datapackage.json'), [datapackageJson(REPORTS, records)], {
    compareWithTarget: true,
  });
}

/**
 * The recorded files that lie inside `dir`, with their paths relative to it (POSIX
 * separators). Records of another folder (export.dir changed since) are left out: that
 * folder's files are not this folder's, and a manifest lists only what a loader of `dir` can
 * reach. They stay in the store, true for the folder they name.
 */
export function filesInside(
  dir: string,
  records: readonly ExportRecord[],
): (ExportRecord & { relative: string })[] {
  const root = path.resolve(dir);
  const out: (ExportRecord & { relative: string })[] = [];
  for (const r of records) {
    const rel = path.relative(root, path.resolve(r.path));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    out.push({ ...r, relative: rel.split(path.sep).join('/') });
  }
  return out;
}

/**
 * The manifest depends only on what was written: `generatedAt` is the newest file's export
 * time, so an export that changed nothing leaves the manifest's bytes as they were.
 */
function manifestJson(
  records: readonly (ExportRecord & { relative: string })[],
  opts: Pick<ExportOptions, 'timeZone'>,
): string {
  const newest = records.reduce((m, r) => Math.max(m, r.exportedAt), 0);
  return `${JSON.stringify(
    {
      generatedAt: records.length ? new Date(newest).toISOString() : null,
      timezone: opts.timeZone,
      files: records.map((r) => ({
        report: r.report,
        day: r.day,
        format: r.format,
        path: r.relative,
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
