import type { StatusClass, StatusClasses } from '../core/outcomes.js';

/** What every report's row mapping may use: zones, labels, classes and cell rules from config. */
export type ReportContext = {
  /** The day being written, YYYY-MM-DD in `timeZone`. */
  day: string;
  timeZone: string;
  labels: Readonly<Record<string, string>>;
  escapeFormulas: boolean;
  classes: StatusClasses;
  optOutWords: readonly string[];
  /** The class of a status code, by `classes` (precomputed for speed). */
  classify(code: string): StatusClass;
  /** A free-text cell as written: formula-escaped when `escapeFormulas` is on. */
  text(value: unknown): string;
  /** A customer address cell, as `export.addressMode` says: plain, HMAC hash, or masked. */
  address(value: unknown): string;
  /** An event's JSON cell, with its customer address pseudonymised like `address`. */
  payload(json: string): string;
};

/** The named parameters every report query is run with. */
export type ReportParams = {
  /** The day's half-open range [start, end) in epoch milliseconds. */
  start: number;
  end: number;
  /**
   * JSON arrays of status codes (`export.statusClasses`); the store also provides them to
   * queries as `temp.status_class (code, rank)`, rank 0 delivered and 1 failed.
   */
  delivered: string;
  failed: string;
  /** JSON array of folded opt-out words, and the length of the longest. */
  optOutWords: string;
  optOutMaxLength: number;
  /** Every character JavaScript's trim() removes, for SQLite's trim(X, Y). */
  whitespace: string;
};

/** A scalar SQL function a report's query calls; the store registers it. */
export type ReportFunction = { name: string; fn: (...args: never[]) => unknown };

/**
 * One daily CSV report: its name (folder and file prefix), its columns, the query that reads
 * one day's rows (as arrays, ordered so the file is the same whatever order events arrived
 * in), and how a row becomes CSV cells. The export pipeline knows no report by name: adding
 * one is a new module listed in `index.ts`.
 */
export type ReportDefinition = {
  name: string;
  columns: readonly string[];
  /** SQLite, with the named parameters of `ReportParams` (@start, @end, …). */
  sql: string;
  functions?: readonly ReportFunction[];
  toCsvRow(row: readonly unknown[], ctx: ReportContext): string[];
};

/** `<report>/<report>-YYYY-MM-DD.csv`, relative to export.dir. */
export function reportFileName(report: string, day: string): string {
  return `${report}/${report}-${day}.csv`;
}
