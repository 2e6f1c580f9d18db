import { createHmac } from 'node:crypto';
import path from 'node:path';
import { csvRecord } from '../core/csv-format.js';
import { escapeFormula } from '../core/csv-rows.js';
import { addDays, dayInZone, dayRange, isValidDay } from '../core/days.js';
import { classOf, foldOptOut, type StatusClass, type StatusClasses } from '../core/outcomes.js';
import { describeError, throwIfStopped } from '../errors.js';
import {
  REPORTS,
  reportFileName,
  type ReportContext,
  type ReportDefinition,
  type ReportParams,
} from '../reports/index.js';
import { mapPool } from './pool.js';
import type { Clock, Log } from './ports.js';

export type ExportRecord = {
  report: string;
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
  /** One day of a report's rows, stepped lazily in the report's order. */
  iterateRows(report: ReportDefinition, params: ReportParams): Iterator<unknown[]>;
  recordExport(rec: ExportRecord): void;
  exportRecords(): ExportRecord[];
  findExport(report: string, day: string): ExportRecord | undefined;
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
};

export type ExportSummary = {
  days: string[];
  files: {
    report: string;
    day: string;
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
  const escape = opts.escapeFormulas;
  const text = (value: unknown): string => {
    const s = value === null || value === undefined ? '' : String(value);
    return escape ? escapeFormula(s) : s;
  };
  const pseudonym = addressPseudonym(opts);
  const address = pseudonym
    ? (value: unknown): string =>
        value === null || value === undefined || value === '' ? '' : pseudonym(String(value))
    : text;
  return {
    day,
    timeZone: opts.timeZone,
    labels: opts.labels,
    escapeFormulas: escape,
    classes: opts.classes,
    optOutWords: opts.optOutWords,
    classify,
    text,
    address,
    payload: (json) => {
      if (!pseudonym) return text(json);
      const event = JSON.parse(json) as Record<string, unknown>;
      if (event.outboundChannelAddress === undefined) return text(json);
      return text(
        JSON.stringify({ ...event, outboundChannelAddress: address(event.outboundChannelAddress) }),
      );
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
 * Renders one report's day as CSV text, counting its rows into `counter`. By default the
 * export renders in this thread from `store`; `io/report-workers.ts` renders in worker
 * threads, each with its own read-only connection, so reports are written side by side.
 */
export type RenderReport = (
  report: ReportDefinition,
  day: string,
  counter: { rows: number },
) => AsyncIterable<string> | Iterable<string>;

type Deps = {
  store: ExportStore;
  writeFile: WriteFile;
  clock: Clock;
  log: Log;
  render?: RenderReport;
  /** Reports of a day written at once (default 1; more pays only with `render` in workers). */
  concurrency?: number;
  /** Stops the export: the file being written is abandoned (its temp file removed). */
  signal?: AbortSignal;
};

/** The chunks of a file, ending in StopRequested as soon as `signal` fires. */
async function* untilStopped(
  chunks: AsyncIterable<string> | Iterable<string>,
  signal: AbortSignal | undefined,
): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    throwIfStopped(signal);
    yield chunk;
  }
}

/**
 * Writes `<dir>/<report>/<report>-<day>.csv` for every report and day, then manifest.json.
 * A day is cleared from the changed list only when all its files were written; a failed
 * write leaves the previous file in place and the day marked for the next export. A file
 * whose content did not change is left untouched, so re-running an export changes no byte.
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
    skipped: [],
    manifest: '',
    seconds: 0,
  };
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
      ((report, _day, counter) => reportChunks(store, report, params, ctx, opts, counter));
    const reports = opts.reports ?? REPORTS;
    const written = await mapPool(reports, deps.concurrency ?? 1, async (report) => {
      const target = path.join(opts.dir, reportFileName(report.name, day));
      const counter = { rows: 0 };
      try {
        const previous = store.findExport(report.name, day);
        const file = await writeFile(
          target,
          untilStopped(render(report, day, counter), deps.signal),
          {
            unchangedSha: previous?.path === target ? previous.sha256 : undefined,
          },
        );
        const unchanged = file.unchanged === true;
        if (!unchanged) {
          store.recordExport({
            report: report.name,
            day,
            path: target,
            rows: counter.rows,
            bytes: file.bytes,
            sha256: file.sha256,
            exportedAt: clock(),
          });
        }
        const { rows } = counter;
        return {
          file: { report: report.name, day, path: target, rows, bytes: file.bytes, unchanged },
        };
      } catch (err) {
        const error = describeError(err);
        log.error(
          { path: target, err: error },
          'export file not written; the previous file is intact and the day will be exported again',
        );
        return { failure: { path: target, error } };
      }
    });
    // In report order, whichever finished first.
    let dayOk = true;
    for (const r of written) {
      if (!r.ok) throw r.error;
      if (r.value.file) summary.files.push(r.value.file);
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
    await writeManifest(store, writeFile, opts);
  } catch (err) {
    summary.failures.push({ path: manifest, error: describeError(err) });
  }
  summary.manifest = manifest;
  summary.seconds = (clock() - started) / 1000;
  return summary;
}

export function* reportChunks(
  store: ExportStore,
  report: ReportDefinition,
  params: ReportParams,
  ctx: ReportContext,
  opts: ExportOptions,
  counter: { rows: number },
): Generator<string> {
  const pageSize = opts.pageSize ?? 250;
  // The BOM and the header start the first page; memory holds one page at a time.
  let page = (opts.bom ? '\ufeff' : '') + csvRecord(report.columns);
  let inPage = 0;
  const rows = store.iterateRows(report, params);
  try {
    for (let r = rows.next(); !r.done; r = rows.next()) {
      page += csvRecord(report.toCsvRow(r.value, ctx));
      counter.rows++;
      if (++inPage === pageSize) {
        yield page;
        page = '';
        inPage = 0;
      }
    }
  } finally {
    rows.return?.();
  }
  yield page;
}

/** Writes `<dir>/manifest.json` from the recorded exports (untouched when unchanged). */
export async function writeManifest(
  store: Pick<ExportStore, 'exportRecords'>,
  writeFile: WriteFile,
  opts: Pick<ExportOptions, 'dir' | 'timeZone'>,
): Promise<void> {
  await writeFile(
    path.join(opts.dir, 'manifest.json'),
    [manifestJson(store.exportRecords(), opts)],
    {
      compareWithTarget: true,
    },
  );
}

/**
 * The manifest depends only on what was written: `generatedAt` is the newest file's export
 * time, so an export that changed nothing leaves the manifest's bytes as they were.
 */
function manifestJson(
  records: ExportRecord[],
  opts: Pick<ExportOptions, 'dir' | 'timeZone'>,
): string {
  const newest = records.reduce((m, r) => Math.max(m, r.exportedAt), 0);
  return `${JSON.stringify(
    {
      generatedAt: records.length ? new Date(newest).toISOString() : null,
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
