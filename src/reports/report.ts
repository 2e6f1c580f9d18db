import type { StatusClass, StatusClasses } from '../core/outcomes.js';

/** What every report's row mapping may use: zones, labels, classes and cell rules from config. */
export type ReportContext = {
  /** The day being written, YYYY-MM-DD in `timeZone`. */
  day: string;
  timeZone: string;
  labels: Readonly<Record<string, string>>;
  classes: StatusClasses;
  optOutWords: readonly string[];
  /** The class of a status code, by `classes` (precomputed for speed). */
  classify(code: string): StatusClass;
  /** A customer address, as `export.addressMode` says: plain, HMAC hash, or masked. */
  address(value: unknown): string;
  /** An event's JSON, with its customer address pseudonymised like `address`. */
  payload(json: string): string;
};

/**
 * A column's type, as datapackage.json (Table Schema) and the Parquet files declare it:
 * `string` (UTF-8 text: ids, addresses, codes, labels, bodies), `datetime` (an instant:
 * ISO 8601 with the offset in CSV, TIMESTAMP in milliseconds adjusted to UTC in Parquet),
 * `date` (YYYY-MM-DD; DATE), `integer` (a count; INT64) and `number` (a decimal; DOUBLE).
 */
export type ColumnType = 'string' | 'datetime' | 'date' | 'integer' | 'number';

/** One column of a report: its name (the CSV header and Parquet field) and its type. */
export type ReportColumn = {
  name: string;
  type: ColumnType;
  /**
   * The type datapackage.json declares for the CSV column when its CSV cells can hold more
   * than `type` allows (other-events' dateCreated shows an unreadable date as sent).
   */
  csvType?: ColumnType;
  /** What the column holds, for datapackage.json. */
  description?: string;
};

/**
 * One cell of a row as a report maps it, before any CSV rule: text exactly as stored
 * (`string`, "" when empty), epoch milliseconds (`datetime`; a string for a date that could
 * not be read, shown as sent), a count (`integer`), a decimal already written with its
 * decimals (`number`, "" when there is none), or YYYY-MM-DD (`date`).
 */
export type Cell = string | number | null;

/** The named parameters every report query is run with. */
export type ReportParams = {
  /** The day's half-open range [start, end) in epoch milliseconds. */
  start: number;
  end: number;
  /**
   * JSON arrays of status codes (`export.statusClasses`); daily-summary also reads them as a
   * temp table of its own (`tempTables`).
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

/** A value SQLite stores as it is. */
export type SqlValue = string | number | null;

/**
 * A table in the connection's temp schema that a report's query reads (a lookup a JSON
 * parameter would make slow): the store creates it before it first prepares the query and
 * fills it from the day's parameters before every run, refilling it only when its rows
 * change. A temp table is the connection's own, so a read-only connection can fill it too.
 */
export type ReportTempTable = {
  /** Its name in the temp schema, as the query names it (`temp.<name>`). */
  name: string;
  /** `CREATE TEMP TABLE <name> (...)`. */
  create: string;
  /** Inserts one row of `rows`, a `?` per value. */
  insert: string;
  /** Its rows for one day's parameters. */
  rows(params: ReportParams): readonly (readonly SqlValue[])[];
};

/**
 * One daily report: its name (folder and file prefix), its typed columns and primary key,
 * the query that reads one day's rows (as arrays, ordered so the file is the same whatever
 * order events arrived in), and how a row becomes cells. The cells are values as stored;
 * the CSV rules (formula escaping, control characters) and the Parquet types are applied by
 * the export, the same for every report. The export pipeline knows no report by name:
 * adding one is a new module listed in `index.ts`.
 */
export type ReportDefinition = {
  name: string;
  columns: readonly ReportColumn[];
  /** The columns that identify a row, for datapackage.json. */
  primaryKey?: readonly string[];
  /**
   * Each row depends on no other row of the day and rows are ordered by a time that @start
   * and @end bound: the day can be rendered in time slices side by side, their CSV text
   * concatenated in order giving the day's file (not so for a report of daily totals).
   */
  timeOrdered?: boolean;
  /** SQLite, with the named parameters of `ReportParams` (@start, @end, …). */
  sql: string;
  functions?: readonly ReportFunction[];
  /** The temp tables the query reads, set up by the store that runs it. */
  tempTables?: readonly ReportTempTable[];
  toRow(row: readonly unknown[], ctx: ReportContext): Cell[];
};

/** The file formats an export writes (`export.formats`); CSV always. */
export type ExportFormat = 'csv' | 'parquet';

/**
 * Where a report's day file lives, relative to export.dir: `<report>/<report>-DAY.csv`, or
 * for Parquet `parquet/<report>/dt=DAY/<report>-DAY.parquet` (Hive partitioning by day).
 */
export function reportFileName(report: string, day: string, format: ExportFormat = 'csv'): string {
  return format === 'csv'
    ? `${report}/${report}-${day}.csv`
    : `parquet/${report}/dt=${day}/${report}-${day}.parquet`;
}

/** A value as a text cell: null and undefined (absent fields) are "". */
export function textOf(value: unknown): string {
  return value === null || value === undefined ? '' : String(value);
}
