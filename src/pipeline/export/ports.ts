import type {
  Cell,
  ExportFormat,
  ReportColumn,
  ReportDefinition,
  ReportParams,
} from '../../reports/index.js';

/*
 * The ports of the export: the store, the writers and the renderer it runs over. Each has
 * one real implementation in io/; the tests pass their own.
 */

/** One written export file, as the store records it (and the manifest lists it). */
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
  changedDays(): string[];
  clearChanged(day: string, exportStartedMs: number): void;
  markChanged(day: string, nowMs: number): void;
  /** One day of a report's rows, stepped lazily in the report's order. */
  iterateRows(report: ReportDefinition, params: ReportParams): Iterator<unknown[]>;
  recordExport(rec: ExportRecord): void;
  exportRecords(): ExportRecord[];
  findExport(report: string, day: string, format: ExportFormat): ExportRecord | undefined;
  /** Epoch ms before which retention removed events (retention.storeDays), if ever. */
  storeHorizon(): number | undefined;
}

/**
 * Writes one file atomically; the real one is `io/files/atomic.ts`. When the content hashes to
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
 * `io/files/atomic.ts`. A failure leaves every previous file intact.
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
/** Starts a Parquet encoder for a report's columns. */
export type CreateTableEncoder = (columns: readonly ReportColumn[]) => TableEncoder;

/**
 * Renders one report's day in every format of the export (CSV text for file 0, Parquet
 * bytes for file 1), counting its rows into `counter`. By default the export renders in this
 * thread from `store`; `jobs/report-workers.ts` renders in worker threads, each with its own
 * read-only connection, so reports are written side by side.
 */
export type RenderReport = (
  report: ReportDefinition,
  day: string,
  counter: { rows: number },
) => AsyncIterable<ExportChunk> | Iterable<ExportChunk>;
