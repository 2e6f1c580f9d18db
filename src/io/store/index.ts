import type Database from 'better-sqlite3';
import type { Table } from '../../core/dedup.js';
import type { ExportFormat, ReportDefinition, ReportParams } from '../../reports/index.js';
import type * as ports from '../../pipeline/ports.js';
import type { ExportRecord, ExportStore } from '../../pipeline/export/ports.js';
import type {
  Compaction,
  ErasureResult,
  ErasureStore,
  PendingErasure,
  StoreMentions,
} from '../../pipeline/erase-run.js';
import type { PurgeStore, StoreRemoval } from '../../pipeline/purge-run.js';
import { changedDays, clearChanged, prepareMarkChanged, type MarkChanged } from './changed-days.js';
import { openConnection, type StoreOptions } from './connection.js';
import {
  compactAfterErasure,
  eraseCustomer,
  forgetPendingDays,
  mentionsInStore,
  pendingErasure,
} from './erasure.js';
import { exportRecords, findExport, recordExport, removeExportRecord } from './export.js';
import type { ExportDueRecord } from '../../core/catch-up.js';
import { completeExportDue, readExportDue, recordExportDue } from './export-due.js';
import { IngestLedger } from './ingest.js';
import { ReportRows } from './report-rows.js';
import { purgeBefore, storeHorizon } from './retention.js';
import {
  closeInterruptedRuns,
  endRun,
  lastError,
  lastListedRun,
  lastRun,
  startRun,
  type RunKind,
  type RunRecord,
} from './runs.js';
import {
  countDay,
  lastFileAt,
  quarantined,
  statusCodeCounts,
  storeCounts,
  unfinishedFiles,
  type QuarantinedFile,
} from './status.js';

export type { ErasureResult } from '../../pipeline/erase-run.js';
export type { StoreOptions } from './connection.js';
export type { ExportDueRecord } from '../../core/catch-up.js';
export type { RunKind, RunRecord } from './runs.js';

/**
 * The SQLite store: one connection, and the ports the pipelines use over it. The store's SQL
 * is in the modules beside this one, a concern each (connection and migrations, ingest,
 * changed days, report rows, export records, the scheduled export, runs, status, retention,
 * erasure); this class composes them and holds none of its own. Two kinds of SQL live
 * elsewhere, and knowingly: the reports' queries, with each report (src/reports/, run by
 * report-rows.ts), and the statements of other SQLite files (io/lock.ts's lock files,
 * `backup`'s check of its copy).
 */
export class SqliteStore implements ports.IngestStore, ExportStore, ErasureStore, PurgeStore {
  readonly db: Database.Database;
  /** The database file, as configured. */
  readonly path: string;
  private readonly exportTimeZone: string;
  private readonly ledger: IngestLedger;
  private readonly reports: ReportRows;
  private readonly mark: MarkChanged;

  constructor(options: StoreOptions) {
    this.path = options.path;
    this.exportTimeZone = options.exportTimeZone;
    this.db = openConnection(options);
    this.mark = prepareMarkChanged(this.db);
    this.ledger = new IngestLedger(this.db, this.exportTimeZone, this.mark);
    this.reports = new ReportRows(this.db);
  }

  // ---- ingest (ingest.ts) -------------------------------------------------------------

  findFileByIdentity(
    remotePath: string,
    size: number,
    mtimeMs: number,
  ): ports.KnownFile | undefined {
    return this.ledger.findFileByIdentity(remotePath, size, mtimeMs);
  }

  findUnfinishedFile(remotePath: string, contentHash: string): ports.KnownFile | undefined {
    return this.ledger.findUnfinishedFile(remotePath, contentHash);
  }

  listUnfinished(): ports.UnfinishedFile[] {
    return this.ledger.listUnfinished();
  }

  recordChecked(fileIds: readonly number[], nowMs: number): void {
    this.ledger.recordChecked(fileIds, nowMs);
  }

  commitBatch(items: readonly ports.BatchItem[], nowMs: number): ports.FileCommit[] {
    return this.ledger.commitBatch(items, nowMs);
  }

  recordFinishes(records: readonly ports.FinishRecord[], nowMs: number): void {
    this.ledger.recordFinishes(records, nowMs);
  }

  // ---- runs (runs.ts) -----------------------------------------------------------------

  /** Records the start of a poll or export. */
  startRun(kind: RunKind, nowMs: number): number {
    return startRun(this.db, kind, nowMs);
  }

  /** Records how a poll or export ended. */
  endRun(id: number, ok: boolean, summary: unknown, error: string | null, nowMs: number): void {
    endRun(this.db, id, ok, summary, error, nowMs);
  }

  /** The latest ended run of a kind (only successful ones, or also one still going). */
  lastRun(kind: RunKind, onlyOk = false, includeUnfinished = false): RunRecord | undefined {
    return lastRun(this.db, kind, onlyOk, includeUnfinished);
  }

  /** The latest poll that got as far as listing the folder (its summary counts files). */
  lastListedRun(): RunRecord | undefined {
    return lastListedRun(this.db);
  }

  /** The latest failed run of any kind. */
  lastError(): { kind: RunKind; at: number; error: string } | undefined {
    return lastError(this.db);
  }

  /** Ends the runs a dead process left unended; how many. */
  closeInterruptedRuns(nowMs: number): number {
    return closeInterruptedRuns(this.db, nowMs);
  }

  // ---- the scheduled export (export-due.ts) -------------------------------------------

  /** The scheduled export that came due last, if one has on this store. */
  exportDue(): ExportDueRecord | undefined {
    return readExportDue(this.db);
  }

  /** Records that the scheduled export of `dueMs` came due (not yet completed). */
  recordExportDue(dueMs: number): void {
    recordExportDue(this.db, dueMs);
  }

  /** Completes the due export by a default export started at `startedMs` with every file written. */
  completeExportDue(startedMs: number, nowMs: number): boolean {
    return completeExportDue(this.db, startedMs, nowMs);
  }

  // ---- status (status.ts) -------------------------------------------------------------

  /** Rows per typed table and raw events per type. */
  counts(): {
    typed: Record<Table, number>;
    rawByType: Record<string, number>;
    conflicts: number;
  } {
    return storeCounts(this.db);
  }

  /** Rows of each table, and other-type events, on one calendar day in the export zone. */
  countDay(day: string): Record<Table | 'other', number> {
    return countDay(this.db, day, this.exportTimeZone);
  }

  /** Delivery reports dated from `sinceMs` on, per status code (the status-code check). */
  statusCodeCounts(sinceMs: number): { code: string; count: number }[] {
    return statusCodeCounts(this.db, sinceMs);
  }

  /** When a file last arrived, whatever became of it. */
  lastFileAt(): number | undefined {
    return lastFileAt(this.db);
  }

  /** Quarantined files, newest first. */
  quarantined(limit: number): { total: number; items: QuarantinedFile[] } {
    return quarantined(this.db, limit);
  }

  /** Files whose move/delete failed and is retried on every poll. */
  unfinishedFiles(): { name: string; finish: string; error: string | null }[] {
    return unfinishedFiles(this.db);
  }

  // ---- export (changed-days.ts, report-rows.ts, export.ts) -----------------------------

  /** Days marked as changed since they were last exported, oldest first. */
  changedDays(): string[] {
    return changedDays(this.db);
  }

  /** Clears a day's mark unless it was marked again after `exportStartedMs`. */
  clearChanged(day: string, exportStartedMs: number): void {
    clearChanged(this.db, day, exportStartedMs);
  }

  /** Marks a day to be exported again (after a failed write). */
  markChanged(day: string, nowMs: number): void {
    this.mark(day, nowMs);
  }

  /**
   * One day of a report's rows, as arrays, read lazily (see report-rows.ts). The connection
   * is busy until the iterator finishes or is returned.
   */
  iterateRows(report: ReportDefinition, params: ReportParams): IterableIterator<unknown[]> {
    return this.reports.iterate(report, params);
  }

  /** Forgets a day file that retention deleted, so the manifest no longer lists it. */
  removeExportRecord(report: string, day: string, format: ExportFormat = 'csv'): void {
    removeExportRecord(this.db, report, day, format);
  }

  /** The recorded export of one report, day and format. */
  findExport(report: string, day: string, format: ExportFormat = 'csv'): ExportRecord | undefined {
    return findExport(this.db, report, day, format);
  }

  /** Records a written export file. */
  recordExport(rec: Omit<ExportRecord, 'format'> & { format?: ExportFormat }): void {
    recordExport(this.db, { ...rec, format: rec.format ?? 'csv' });
  }

  /** Every export file recorded, by report, day, then format. */
  exportRecords(): ExportRecord[] {
    return exportRecords(this.db);
  }

  // ---- retention (retention.ts) and erasure (erasure.ts) ------------------------------

  /** Epoch ms before which retention removed events, if it ever did. */
  storeHorizon(): number | undefined {
    return storeHorizon(this.db);
  }

  /** Removes every event dated before `cutoffMs` (see retention.ts); with `dryRun`, counts. */
  purgeBefore(cutoffMs: number, dryRun: boolean): StoreRemoval {
    return purgeBefore(this.db, cutoffMs, dryRun, this.exportTimeZone);
  }

  /** GDPR erasure of one customer in one transaction, journalled (see erasure.ts). */
  eraseAddress(key: string, dryRun: boolean, nowMs: number): ErasureResult {
    return eraseCustomer(this.db, key, { dryRun, nowMs, exportTimeZone: this.exportTimeZone });
  }

  /** What interrupted or unfinished erasures still have to do, if anything. */
  pendingErasure(): PendingErasure | undefined {
    return pendingErasure(this.db);
  }

  /** Takes days whose files were written again off the pending erasures. */
  forgetErasureDays(days: readonly string[], nowMs: number): void {
    forgetPendingDays(this.db, days, nowMs);
  }

  /** The rebuild and truncating checkpoint a pending erasure needs, each step checked. */
  compactAfterErasure(nowMs: number): Compaction {
    return compactAfterErasure(this.db, this.path, nowMs);
  }

  /** Rows that still mention an address (another customer's message quoting it, say). */
  mentionsOf(key: string): StoreMentions {
    return mentionsInStore(this.db, key, this.exportTimeZone);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
