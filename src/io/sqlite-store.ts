import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { classifyMessage, TABLE_OF, TABLES, type Table, type TypedFields } from '../core/dedup.js';
import { dayInZone, dayRange } from '../core/days.js';
import type { ParsedMessage } from '../core/events.js';
import { REPLY_WINDOW_MS } from '../core/outcomes.js';
import type { ExportFormat, ReportDefinition, ReportParams } from '../reports/index.js';
import type {
  BatchItem,
  FileCommit,
  FinishRecord,
  IngestStore,
  KnownFile,
  UnfinishedFile,
} from '../pipeline/ports.js';
import type { ExportRecord, ExportStore } from '../pipeline/export-run.js';
import { AppError } from '../errors.js';
import { exportRecords, findExport, recordExport, removeExportRecord } from './export-records.js';
import { createPrivateFile } from './file-modes.js';
import { migrations } from './migrations/index.js';
import {
  compactAfterErasure,
  eraseCustomer,
  forgetPendingDays,
  mentionsInStore,
  pendingErasure,
} from './erasure.js';
import {
  completeExportDue,
  readExportDue,
  recordExportDue,
  type ExportDueRecord,
} from './export-due-store.js';
import { closeInterruptedRuns } from './interrupted-runs.js';
import type {
  Compaction,
  ErasureResult,
  ErasureStore,
  PendingErasure,
  StoreMentions,
} from '../pipeline/erase-run.js';
import { statusCodeCounts } from './status-codes.js';

export type { ErasureResult } from '../pipeline/erase-run.js';

/** What retention removed (or, in a dry run, would remove) from the store. */
export type PurgeCounts = {
  sends: number;
  inbound: number;
  statuses: number;
  rawEvents: number;
  quarantined: number;
  files: number;
};

export type RunKind = 'ingest' | 'export';
export type RunRecord = {
  id: number;
  kind: RunKind;
  startedAt: number;
  endedAt: number | null;
  ok: boolean | null;
  summary: unknown;
  error: string | null;
};

export type StoreOptions = {
  path: string;
  busyTimeoutMs: number;
  /** The zone whose calendar days the exports use; new rows mark their day to export again. */
  exportTimeZone: string;
  /** The zone `dateCreated` is read in; a migration that dates stored events needs it. */
  sourceTimeZone?: string;
  readonly?: boolean;
};

type TypedRow = TypedFields & { rowid: number };

/** The columns of a KnownFile. */
const KNOWN_FILE = `id, outcome, finish, size, mtime_ms AS mtimeMs, content_hash AS contentHash,
  checked_at AS checkedAt`;

/**
 * The SQLite store: the only module that sees SQL. WAL mode, synchronous=FULL (a commit is
 * on disk before the pipeline moves the file away on the server), numbered migrations.
 */
export class SqliteStore implements IngestStore, ExportStore, ErasureStore {
  readonly db: Database.Database;
  /** The database file, as configured. */
  readonly path: string;
  private readonly exportTimeZone: string;
  private readonly sourceTimeZone: string;
  private readonly stmts;
  private readonly reportStatements = new Map<string, Database.Statement>();

  constructor(options: StoreOptions) {
    this.path = options.path;
    this.exportTimeZone = options.exportTimeZone;
    this.sourceTimeZone = options.sourceTimeZone ?? 'UTC';
    if (!options.readonly) {
      fs.mkdirSync(path.dirname(path.resolve(options.path)), { recursive: true });
      createPrivateFile(options.path);
    }
    this.db = new Database(options.path, {
      timeout: options.busyTimeoutMs,
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
    });
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } else {
      // A reader never migrates: it needs the schema this program was written for.
      const current = this.db.pragma('user_version', { simple: true }) as number;
      const latest = migrations[migrations.length - 1]?.version ?? 0;
      if (current !== latest) {
        this.db.close();
        throw new AppError(
          'SCHEMA',
          current < latest
            ? `the store ${options.path} has schema version ${current}, older than this program's ${latest}; start the service or run \`webio-reports ingest\` once to upgrade it`
            : `the store ${options.path} has schema version ${current}, newer than this program's ${latest}; it was written by a newer webio-reports: upgrade this one`,
        );
      }
    }
    // Report queries look status classes up here (daily-summary.ts); it lives in the
    // connection's own temp schema, so even a read-only connection can fill it.
    this.db.exec(
      `CREATE TEMP TABLE status_class (code TEXT PRIMARY KEY, rank INTEGER NOT NULL) WITHOUT ROWID`,
    );
    this.stmts = this.prepare();
  }

  private loadedClasses = '';

  /** Fills temp.status_class from a report's parameters when they differ from the last ones. */
  private loadStatusClasses(params: ReportParams): void {
    const key = `${params.delivered}\u0000${params.failed}`;
    if (key === this.loadedClasses) return;
    const insert = this.db.prepare(`INSERT OR IGNORE INTO temp.status_class VALUES (?, ?)`);
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM temp.status_class`).run();
      (JSON.parse(params.delivered) as string[]).forEach((code) => insert.run(code, 0));
      (JSON.parse(params.failed) as string[]).forEach((code) => insert.run(code, 1));
    })();
    this.loadedClasses = key;
  }

  private migrate(): void {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (const m of migrations) {
      if (m.version <= current) continue;
      this.db
        .transaction(() => {
          this.db.exec(m.sql);
          m.run?.(this.db, {
            sourceTimeZone: this.sourceTimeZone,
            exportTimeZone: this.exportTimeZone,
            nowMs: Date.now(),
          });
          this.db.pragma(`user_version = ${m.version}`);
        })
        .immediate();
    }
  }

  private prepare() {
    const db = this.db;
    const typedSelect = (table: string, where: string) =>
      db.prepare<unknown[], TypedRow>(
        `SELECT rowid, conversation_id AS conversationId, outbound_channel_address AS outboundChannelAddress,
                inbound_channel_address AS inboundChannelAddress, customer_uid AS customerUID, body,
                status_code AS statusCode, date_ms AS dateMs
           FROM ${table} WHERE ${where}`,
      );
    const typedInsert = (table: string) =>
      db.prepare(
        `INSERT INTO ${table} (communication_action_id, conversation_id, outbound_channel_address,
            inbound_channel_address, customer_uid, body, status_code, date_created, date_ms, raw_event_id)
         VALUES (@communicationActionId, @conversationId, @outboundChannelAddress, @inboundChannelAddress,
            @customerUID, @body, @statusCode, @dateCreated, @dateMs, @rawId)`,
      );
    return {
      fileByIdentity: db.prepare<[string, number, number], KnownFile>(
        `SELECT ${KNOWN_FILE} FROM files WHERE remote_path = ? AND size = ? AND mtime_ms = ?
          ORDER BY id DESC LIMIT 1`,
      ),
      unfinishedByHash: db.prepare<[string, string], KnownFile>(
        `SELECT ${KNOWN_FILE} FROM files
          WHERE content_hash = ? AND remote_path = ? AND finish IN ('pending', 'failed')
          ORDER BY id DESC LIMIT 1`,
      ),
      supersede: db.prepare(
        `UPDATE files SET finish = 'gone', finished_at = @now,
            finish_error = 'replaced on the server by a newer version, stored as file ' || @id
          WHERE remote_path = @path AND id <> @id AND finish IN ('pending', 'failed')`,
      ),
      setChecked: db.prepare(`UPDATE files SET checked_at = ? WHERE id = ?`),
      insertFile: db.prepare(
        `INSERT INTO files (name, remote_path, size, mtime_ms, content_hash, outcome, ingested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      updateFileCounts: db.prepare(
        `UPDATE files SET events = ?, new_events = ?, duplicates = ?, conflicts = ? WHERE id = ?`,
      ),
      insertQuarantine: db.prepare(
        `INSERT INTO quarantine (file_id, name, reason, detail, size, content, content_truncated, quarantined_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      setFinish: db.prepare(
        `UPDATE files SET finish = ?, finished_path = ?, finish_error = ?, finished_at = ? WHERE id = ?`,
      ),
      insertRaw: db.prepare(
        `INSERT INTO raw_events (payload_hash, type, communication_action_id, outcome, payload, file_id,
            received_at, date_ms, report_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (payload_hash) DO NOTHING`,
      ),
      setRawOutcome: db.prepare(`UPDATE raw_events SET outcome = ? WHERE id = ?`),
      select: {
        sends: typedSelect('sends', 'communication_action_id = ?'),
        inbound: typedSelect('inbound', 'communication_action_id = ?'),
        statuses: typedSelect('statuses', 'communication_action_id = ? AND status_code = ?'),
      },
      insert: {
        sends: typedInsert('sends'),
        inbound: typedInsert('inbound'),
        statuses: typedInsert('statuses'),
      },
      addConflict: {
        sends: db.prepare(`UPDATE sends SET conflicts = conflicts + 1 WHERE rowid = ?`),
        inbound: db.prepare(`UPDATE inbound SET conflicts = conflicts + 1 WHERE rowid = ?`),
        statuses: db.prepare(`UPDATE statuses SET conflicts = conflicts + 1 WHERE rowid = ?`),
      },
      sendDate: db.prepare<[string], { date_ms: number }>(
        `SELECT date_ms FROM sends WHERE communication_action_id = ?`,
      ),
      sendsAnsweredBy: db.prepare<[string, number, number], { date_ms: number }>(
        `SELECT date_ms FROM sends WHERE conversation_id = ? AND date_ms >= ? AND date_ms < ?`,
      ),
      markDirty: db.prepare(
        `INSERT INTO dirty_days (day, marked_at) VALUES (?, ?)
         ON CONFLICT (day) DO UPDATE SET marked_at = excluded.marked_at`,
      ),
    };
  }

  findFileByIdentity(remotePath: string, size: number, mtimeMs: number): KnownFile | undefined {
    return this.stmts.fileByIdentity.get(remotePath, size, mtimeMs);
  }

  findUnfinishedFile(remotePath: string, contentHash: string): KnownFile | undefined {
    return this.stmts.unfinishedByHash.get(contentHash, remotePath);
  }

  listUnfinished(): UnfinishedFile[] {
    return this.db
      .prepare<[], UnfinishedFile>(
        `SELECT id, name, remote_path AS remotePath, outcome, size, mtime_ms AS mtimeMs,
                content_hash AS contentHash, finished_path AS finishedPath
           FROM files WHERE finish IN ('pending', 'failed') ORDER BY id`,
      )
      .all();
  }

  recordChecked(fileIds: readonly number[], nowMs: number): void {
    if (fileIds.length === 0) return;
    this.db.transaction(() => {
      for (const id of fileIds) this.stmts.setChecked.run(nowMs, id);
    })();
  }

  commitBatch(items: readonly BatchItem[], nowMs: number): FileCommit[] {
    return this.db.transaction(() => items.map((item) => this.commitItem(item, nowMs))).immediate();
  }

  private commitItem(item: BatchItem, nowMs: number): FileCommit {
    const f = item.file;
    const outcome = item.kind === 'ingest' ? 'ingested' : 'quarantined';
    const fileId = Number(
      this.stmts.insertFile.run(
        f.name,
        f.remotePath,
        f.size,
        f.mtimeMs,
        f.contentHash,
        outcome,
        nowMs,
      ).lastInsertRowid,
    );
    // An older version at this path that was committed but never finished cannot be finished
    // any more: the path holds this one now.
    this.stmts.supersede.run({ path: f.remotePath, id: fileId, now: nowMs });
    const result: FileCommit = { fileId, newByType: {}, duplicates: 0, conflicts: 0, other: 0 };
    if (item.kind === 'quarantine') {
      this.stmts.insertQuarantine.run(
        fileId,
        f.name,
        item.reason,
        item.detail,
        f.size,
        Buffer.from(item.content),
        item.truncated ? 1 : 0,
        nowMs,
      );
      return result;
    }
    const dirty = new Set<number>();
    for (const event of item.events) {
      const hash = createHash('sha256').update(event.payload).digest('hex');
      const m = event.message;
      // An other-type event is reported on the day of its dateCreated, or of its arrival.
      const reportMs = m ? null : (event.dateMs ?? nowMs);
      const ins = this.stmts.insertRaw.run(
        hash,
        event.type,
        m?.communicationActionId ?? null,
        m ? 'new' : 'other',
        event.payload,
        fileId,
        nowMs,
        m ? m.dateMs : (event.dateMs ?? null),
        reportMs,
      );
      if (ins.changes === 0) {
        result.duplicates++;
        continue;
      }
      if (!m) {
        dirty.add(reportMs ?? nowMs);
        result.other++;
        continue;
      }
      const rawId = Number(ins.lastInsertRowid);
      const kind = this.storeMessage(m, rawId, dirty);
      if (kind === 'new') result.newByType[m.type] = (result.newByType[m.type] ?? 0) + 1;
      else {
        this.stmts.setRawOutcome.run(kind, rawId);
        if (kind === 'duplicate') result.duplicates++;
        else result.conflicts++;
      }
    }
    for (const ms of dirty) this.stmts.markDirty.run(dayInZone(ms, this.exportTimeZone), nowMs);
    this.stmts.updateFileCounts.run(
      item.events.length,
      Object.values(result.newByType).reduce((a, b) => a + b, 0),
      result.duplicates,
      result.conflicts,
      fileId,
    );
    return result;
  }

  private storeMessage(
    m: ParsedMessage,
    rawId: number,
    dirty: Set<number>,
  ): 'new' | 'duplicate' | 'conflict' {
    const table = TABLE_OF[m.type];
    const stored =
      table === 'statuses'
        ? this.stmts.select.statuses.get(m.communicationActionId, m.statusCode)
        : this.stmts.select[table].get(m.communicationActionId);
    const kind = classifyMessage(stored, m);
    if (kind === 'new') {
      this.stmts.insert[table].run({ ...m, rawId });
      dirty.add(m.dateMs);
      // A status changes its send's outcome, and the send may sit on an older day.
      if (table === 'statuses') {
        const send = this.stmts.sendDate.get(m.communicationActionId);
        if (send) dirty.add(send.date_ms);
      }
      // An inbound message can be the reply that counts for sends of the day before.
      if (table === 'inbound' && m.conversationId !== '') {
        for (const send of this.stmts.sendsAnsweredBy.iterate(
          m.conversationId,
          m.dateMs - REPLY_WINDOW_MS,
          m.dateMs,
        ))
          dirty.add(send.date_ms);
      }
    } else if (kind === 'conflict' && stored) {
      this.stmts.addConflict[table].run(stored.rowid);
    }
    return kind;
  }

  recordFinishes(records: readonly FinishRecord[], nowMs: number): void {
    if (records.length === 0) return;
    this.db.transaction(() => {
      for (const r of records) {
        this.stmts.setFinish.run(r.finish, r.path, r.error, nowMs, r.fileId);
        if (r.finish === 'kept') this.stmts.setChecked.run(nowMs, r.fileId);
      }
    })();
  }

  // ---- runs ---------------------------------------------------------------------------

  /** Records the start of a poll or export. */
  startRun(kind: RunKind, nowMs: number): number {
    return Number(
      this.db.prepare(`INSERT INTO runs (kind, started_at) VALUES (?, ?)`).run(kind, nowMs)
        .lastInsertRowid,
    );
  }

  /** Records how a poll or export ended. */
  endRun(id: number, ok: boolean, summary: unknown, error: string | null, nowMs: number): void {
    this.db
      .prepare(`UPDATE runs SET ended_at = ?, ok = ?, summary = ?, error = ? WHERE id = ?`)
      .run(nowMs, ok ? 1 : 0, JSON.stringify(summary ?? null), error, id);
  }

  /** The latest ended run of a kind (only successful ones, or also one still going). */
  lastRun(kind: RunKind, onlyOk = false, includeUnfinished = false): RunRecord | undefined {
    const filter = onlyOk ? 'AND ok = 1' : includeUnfinished ? '' : 'AND ended_at IS NOT NULL';
    const row = this.db
      .prepare<[string], { id: number }>(
        `SELECT id FROM runs WHERE kind = ? ${filter} ORDER BY id DESC LIMIT 1`,
      )
      .get(kind);
    return row ? this.runById(row.id) : undefined;
  }

  /** The latest poll that got as far as listing the folder (its summary counts files). */
  lastListedRun(): RunRecord | undefined {
    const row = this.db
      .prepare<[], { id: number }>(
        `SELECT id FROM runs WHERE kind = 'ingest' AND summary IS NOT NULL AND summary <> 'null'
          ORDER BY id DESC LIMIT 1`,
      )
      .get();
    return row ? this.runById(row.id) : undefined;
  }

  private runById(id: number): RunRecord | undefined {
    const row = this.db
      .prepare<
        [number],
        {
          id: number;
          kind: RunKind;
          started_at: number;
          ended_at: number | null;
          ok: number | null;
          summary: string | null;
          error: string | null;
        }
      >(`SELECT * FROM runs WHERE id = ?`)
      .get(id);
    if (!row) return undefined;
    return {
      id: row.id,
      kind: row.kind,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      ok: row.ok === null ? null : row.ok === 1,
      summary: row.summary ? (JSON.parse(row.summary) as unknown) : null,
      error: row.error,
    };
  }

  /** Ends the runs a dead process left unended (see io/interrupted-runs.ts); how many. */
  closeInterruptedRuns(nowMs: number): number {
    return closeInterruptedRuns(this.db, nowMs);
  }

  // ---- the scheduled export (io/export-due-store.ts) ----------------------------------

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

  /** The latest failed run of any kind. */
  lastError(): { kind: RunKind; at: number; error: string } | undefined {
    const row = this.db
      .prepare<[], { kind: RunKind; ended_at: number; error: string }>(
        `SELECT kind, ended_at, error FROM runs WHERE ok = 0 ORDER BY id DESC LIMIT 1`,
      )
      .get();
    return row ? { kind: row.kind, at: row.ended_at, error: row.error } : undefined;
  }

  // ---- status -------------------------------------------------------------------------

  /** Rows per typed table and raw events per type. */
  counts(): {
    typed: Record<Table, number>;
    rawByType: Record<string, number>;
    conflicts: number;
  } {
    const typed = {} as Record<Table, number>;
    let conflicts = 0;
    for (const r of TABLES) {
      const row = this.db
        .prepare<[], { n: number; c: number | null }>(
          `SELECT count(*) AS n, sum(conflicts) AS c FROM ${r}`,
        )
        .get();
      typed[r] = row?.n ?? 0;
      conflicts += row?.c ?? 0;
    }
    const rawByType: Record<string, number> = {};
    for (const row of this.db
      .prepare<[], { type: string; n: number }>(
        `SELECT type, count(*) AS n FROM raw_events GROUP BY type ORDER BY type`,
      )
      .all()) {
      rawByType[row.type] = row.n;
    }
    return { typed, rawByType, conflicts };
  }

  /** Rows of each table, and other-type events, on one calendar day in the export zone. */
  countDay(day: string): Record<Table | 'other', number> {
    const { startMs, endMs } = dayRange(day, this.exportTimeZone);
    const out = {} as Record<Table | 'other', number>;
    for (const r of TABLES) {
      out[r] =
        this.db
          .prepare<[number, number], { n: number }>(
            `SELECT count(*) AS n FROM ${r} WHERE date_ms >= ? AND date_ms < ?`,
          )
          .get(startMs, endMs)?.n ?? 0;
    }
    out.other =
      this.db
        .prepare<[number, number], { n: number }>(
          `SELECT count(*) AS n FROM raw_events WHERE outcome = 'other' AND report_ms >= ? AND report_ms < ?`,
        )
        .get(startMs, endMs)?.n ?? 0;
    return out;
  }

  /** Delivery reports dated from `sinceMs` on, per status code (the status-code check). */
  statusCodeCounts(sinceMs: number): { code: string; count: number }[] {
    return statusCodeCounts(this.db, sinceMs);
  }

  /** When a file last arrived, whatever became of it. */
  lastFileAt(): number | undefined {
    return (
      this.db.prepare<[], { m: number | null }>(`SELECT max(ingested_at) AS m FROM files`).get()
        ?.m ?? undefined
    );
  }

  /** Quarantined files, newest first. */
  quarantined(limit: number): {
    total: number;
    items: { name: string; reason: string; detail: string; at: number; movedTo: string | null }[];
  } {
    const total =
      this.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM quarantine`).get()?.n ?? 0;
    const items = this.db
      .prepare<
        [number],
        { name: string; reason: string; detail: string; at: number; movedTo: string | null }
      >(
        `SELECT q.name, q.reason, q.detail, q.quarantined_at AS at, f.finished_path AS movedTo
           FROM quarantine q JOIN files f ON f.id = q.file_id ORDER BY q.id DESC LIMIT ?`,
      )
      .all(limit);
    return { total, items };
  }

  /** Files whose move/delete failed and is retried on every poll. */
  unfinishedFiles(): { name: string; finish: string; error: string | null }[] {
    return this.db
      .prepare<[], { name: string; finish: string; error: string | null }>(
        `SELECT name, finish, finish_error AS error FROM files WHERE finish IN ('pending', 'failed') ORDER BY id`,
      )
      .all();
  }

  // ---- export -------------------------------------------------------------------------

  /** Days marked as changed since they were last exported, oldest first. */
  dirtyDays(): string[] {
    return this.db
      .prepare<[], { day: string }>(`SELECT day FROM dirty_days ORDER BY day`)
      .all()
      .map((r) => r.day);
  }

  /** Clears a day's mark unless it was marked again after `exportStartedMs`. */
  clearDirty(day: string, exportStartedMs: number): void {
    this.db
      .prepare(`DELETE FROM dirty_days WHERE day = ? AND marked_at <= ?`)
      .run(day, exportStartedMs);
  }

  /** Marks a day to be exported again (after a failed write). */
  markDirty(day: string, nowMs: number): void {
    this.stmts.markDirty.run(day, nowMs);
  }

  /**
   * One day of a report's rows, as arrays, read lazily: one statement stepped row by row, so
   * memory does not grow with the day. The connection is busy until the iterator finishes
   * or is returned.
   */
  iterateRows(report: ReportDefinition, params: ReportParams): IterableIterator<unknown[]> {
    let stmt = this.reportStatements.get(report.name);
    if (!stmt) {
      for (const f of report.functions ?? [])
        this.db.function(f.name, { deterministic: true }, f.fn as (...args: unknown[]) => unknown);
      stmt = this.db.prepare(report.sql).raw(true);
      this.reportStatements.set(report.name, stmt);
    }
    this.loadStatusClasses(params);
    return stmt.iterate(params) as IterableIterator<unknown[]>;
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

  // ---- retention and erasure ---------------------------------------------------------

  /** Epoch ms before which retention removed events, if it ever did. */
  storeHorizon(): number | undefined {
    const row = this.db
      .prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'store_horizon_ms'`)
      .get();
    return row ? Number(row.value) : undefined;
  }

  /**
   * Removes every event dated before `cutoffMs` from the typed tables and the raw ledger,
   * quarantine records (with their contents) and run records older than it, and file
   * records nothing refers to any more (never those of kept files, which stop re-reads).
   * Marks no day as changed: CSV files already written stay as they are, and export leaves
   * days before the horizon alone from now on. With `dryRun`, counts and changes nothing.
   */
  purgeBefore(cutoffMs: number, dryRun: boolean): PurgeCounts {
    const db = this.db;
    const p = { cutoff: cutoffMs };
    // Ledger rows older than the cutoff that no typed row kept by it points to.
    const oldRaw = `raw_events WHERE coalesce(date_ms, received_at) < @cutoff AND id NOT IN (
        SELECT raw_event_id FROM sends WHERE date_ms >= @cutoff
        UNION ALL SELECT raw_event_id FROM inbound WHERE date_ms >= @cutoff
        UNION ALL SELECT raw_event_id FROM statuses WHERE date_ms >= @cutoff)`;
    const count = (from: string) =>
      db.prepare<[typeof p], { n: number }>(`SELECT count(*) AS n FROM ${from}`).get(p)?.n ?? 0;
    const counts = (): PurgeCounts => ({
      sends: count('sends WHERE date_ms < @cutoff'),
      inbound: count('inbound WHERE date_ms < @cutoff'),
      statuses: count('statuses WHERE date_ms < @cutoff'),
      rawEvents: count(oldRaw),
      quarantined: count('quarantine WHERE quarantined_at < @cutoff'),
      files: 0,
    });
    if (dryRun) return counts();
    db.pragma('secure_delete = ON');
    try {
      return db
        .transaction(() => {
          const c = counts();
          for (const table of ['statuses', 'sends', 'inbound'])
            db.prepare(`DELETE FROM ${table} WHERE date_ms < @cutoff`).run(p);
          db.prepare(`DELETE FROM ${oldRaw}`).run(p);
          db.prepare(`DELETE FROM quarantine WHERE quarantined_at < @cutoff`).run(p);
          c.files = db
            .prepare(
              `DELETE FROM files WHERE ingested_at < @cutoff AND finish NOT IN ('kept', 'pending', 'failed')
                  AND id NOT IN (SELECT file_id FROM raw_events WHERE file_id IS NOT NULL)
                  AND id NOT IN (SELECT file_id FROM quarantine)`,
            )
            .run(p).changes;
          db.prepare(`DELETE FROM runs WHERE started_at < @cutoff`).run(p);
          db.prepare(`DELETE FROM dirty_days WHERE day < ?`).run(
            dayInZone(cutoffMs, this.exportTimeZone),
          );
          db.prepare(
            `INSERT INTO meta (key, value) VALUES ('store_horizon_ms', @cutoff)
             ON CONFLICT (key) DO UPDATE SET value = max(CAST(value AS INTEGER), excluded.value)`,
          ).run(p);
          return c;
        })
        .immediate();
    } finally {
      db.pragma('secure_delete = OFF');
    }
  }

  /** GDPR erasure of one customer in one transaction, journalled (see io/erasure.ts). */
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
