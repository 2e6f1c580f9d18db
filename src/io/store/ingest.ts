import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  classifyMessage,
  TABLE_OF,
  type DedupOutcome,
  type TypedFields,
} from '../../core/dedup.js';
import { dayInZone } from '../../core/days.js';
import type { ParsedMessage } from '../../core/events.js';
import { REPLY_WINDOW_MS } from '../../core/outcomes.js';
import type {
  BatchItem,
  FileCommit,
  FinishRecord,
  IngestStore,
  KnownFile,
  UnfinishedFile,
} from '../../pipeline/ports.js';
import type { MarkChanged } from './changed-days.js';

type TypedRow = TypedFields & { rowid: number };

/** The columns of a KnownFile. */
const KNOWN_FILE = `id, outcome, finish, size, mtime_ms AS mtimeMs, content_hash AS contentHash,
  checked_at AS checkedAt`;

/**
 * Ingest's side of the store: the files ledger (what was read, and how each file was
 * finished on the server), the raw ledger and the typed tables a batch of files is committed
 * to in one transaction, and the days each commit changed. Its statements are prepared once:
 * a poll runs them for every event.
 */
export class IngestLedger implements IngestStore {
  private readonly stmts;

  constructor(
    private readonly db: Database.Database,
    /** The zone of the export's calendar days, which new rows mark as changed. */
    private readonly exportTimeZone: string,
    private readonly markChanged: MarkChanged,
  ) {
    this.stmts = prepare(db);
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
    const changed = new Set<number>();
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
        changed.add(reportMs ?? nowMs);
        result.other++;
        continue;
      }
      const rawId = Number(ins.lastInsertRowid);
      const kind = this.storeMessage(m, rawId, changed);
      if (kind === 'new') result.newByType[m.type] = (result.newByType[m.type] ?? 0) + 1;
      else {
        this.stmts.setRawOutcome.run(kind, rawId);
        if (kind === 'duplicate') result.duplicates++;
        else result.conflicts++;
      }
    }
    for (const ms of changed) this.markChanged(dayInZone(ms, this.exportTimeZone), nowMs);
    this.stmts.updateFileCounts.run(
      item.events.length,
      Object.values(result.newByType).reduce((a, b) => a + b, 0),
      result.duplicates,
      result.conflicts,
      fileId,
    );
    return result;
  }

  /** Stores one message unless its key is taken; adds the instants whose days it changed. */
  private storeMessage(m: ParsedMessage, rawId: number, changed: Set<number>): DedupOutcome {
    const table = TABLE_OF[m.type];
    const stored =
      table === 'statuses'
        ? this.stmts.select.statuses.get(m.communicationActionId, m.statusCode)
        : this.stmts.select[table].get(m.communicationActionId);
    const kind = classifyMessage(stored, m);
    if (kind === 'new') {
      this.stmts.insert[table].run({ ...m, rawId });
      changed.add(m.dateMs);
      // A status changes its send's outcome, and the send may sit on an older day.
      if (table === 'statuses') {
        const send = this.stmts.sendDate.get(m.communicationActionId);
        if (send) changed.add(send.date_ms);
      }
      // An inbound message can be the reply that counts for sends of the day before.
      if (table === 'inbound' && m.conversationId !== '') {
        for (const send of this.stmts.sendsAnsweredBy.iterate(
          m.conversationId,
          m.dateMs - REPLY_WINDOW_MS,
          m.dateMs,
        ))
          changed.add(send.date_ms);
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
}

/** Every statement ingest runs per file or per event. */
function prepare(db: Database.Database) {
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
  };
}
