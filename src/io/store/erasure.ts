import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { addressKeyOf } from '../../core/address.js';
import { countByteMentions } from '../../core/address-bytes.js';
import { countMentions } from '../../core/address-mentions.js';
import { dayInZone } from '../../core/days.js';
import type {
  Compaction,
  ErasureResult,
  PendingErasure,
  StoreMentions,
} from '../../pipeline/erase-run.js';
import { prepareMarkChanged } from './changed-days.js';

/**
 * Erasure in the store (GDPR art. 17): the SQL side of `erase`. An erasure is journalled in
 * its `erasures` row, without the address: the CSV days still to rewrite and whether the
 * rebuild (VACUUM) and the truncating checkpoint are still to do, so that an erase that was
 * killed or stopped by a full disk or a reader is finished by the next one, or by the next
 * command that opens the store for writing.
 */

/** Registers the SQL functions erasure uses, bound to one key. */
function registerKey(db: Database.Database, key: string): void {
  // Integers as BigInt, so a long number held as a JSON number keeps every digit.
  db.function('webio_address_key', { deterministic: true, safeIntegers: true }, (a: unknown) =>
    addressKeyOf(a),
  );
  db.function('webio_mentions', { deterministic: true, safeIntegers: true }, (v: unknown) => {
    if (v instanceof Uint8Array) return countByteMentions(v, key) > 0 ? 1 : 0;
    if (typeof v === 'string') return countMentions(v, key) > 0 ? 1 : 0;
    return 0;
  });
}

/**
 * Erases one customer: every event whose outboundChannelAddress has `key` (see
 * core/address.ts), as a string or a JSON number, or as one in an array or object there, in
 * every event type; the delivery reports
 * of their sends; their ledger payloads; and the content of every quarantined file that
 * mentions the number (core/address-mentions.ts: digits across separators, UTF-8 or UTF-16),
 * whose reason is replaced only when it mentions it too. Deleted with secure_delete in one
 * transaction that marks the affected days and journals the erasure (counts and days only).
 * With `dryRun`, counts and changes nothing.
 */
export function eraseCustomer(
  db: Database.Database,
  key: string,
  opts: { dryRun: boolean; nowMs: number; exportTimeZone: string },
): ErasureResult {
  registerKey(db, key);
  const p = { key };
  const sendIds = `SELECT communication_action_id FROM sends WHERE webio_address_key(outbound_channel_address) = @key`;
  const inboundIds = `SELECT communication_action_id FROM inbound WHERE webio_address_key(outbound_channel_address) = @key`;
  const where = {
    sends: `webio_address_key(outbound_channel_address) = @key`,
    inbound: `webio_address_key(outbound_channel_address) = @key`,
    statuses: `webio_address_key(outbound_channel_address) = @key OR communication_action_id IN (${sendIds})`,
    // The address as a string or a number; or inside an array or object there (another event
    // type may nest it): any string or number in it.
    raw_events: `(webio_address_key(json_extract(payload, '$.outboundChannelAddress')) = @key
                  OR (json_type(payload, '$.outboundChannelAddress') IN ('array', 'object')
                      AND EXISTS (SELECT 1 FROM json_tree(payload, '$.outboundChannelAddress') t
                                   WHERE t.atom IS NOT NULL AND webio_address_key(t.atom) = @key)))
                 OR (type IN ('messageSend', 'messageStatusUpdate') AND communication_action_id IN (${sendIds}))
                 OR (type = 'inboundMessage' AND communication_action_id IN (${inboundIds}))`,
    quarantine: `webio_mentions(content) OR webio_mentions(detail)`,
  };
  const collect = (): ErasureResult => {
    const count = (table: keyof typeof where) =>
      db
        .prepare<[typeof p], { n: number }>(
          `SELECT count(*) AS n FROM ${table} WHERE ${where[table]}`,
        )
        .get(p)?.n ?? 0;
    const days = new Set<string>();
    for (const table of ['sends', 'inbound', 'statuses'] as const)
      for (const r of db
        .prepare<[typeof p], { ms: number }>(
          `SELECT DISTINCT date_ms AS ms FROM ${table} WHERE ${where[table]}`,
        )
        .iterate(p))
        days.add(dayInZone(r.ms, opts.exportTimeZone));
    for (const r of db
      .prepare<[typeof p], { ms: number }>(
        `SELECT DISTINCT report_ms AS ms FROM raw_events WHERE outcome = 'other' AND (${where.raw_events})`,
      )
      .iterate(p))
      days.add(dayInZone(r.ms, opts.exportTimeZone));
    return {
      counts: {
        sends: count('sends'),
        inbound: count('inbound'),
        statuses: count('statuses'),
        rawEvents: count('raw_events'),
        quarantined: count('quarantine'),
      },
      days: [...days].sort(),
    };
  };
  if (opts.dryRun) return collect();
  db.pragma('secure_delete = ON');
  try {
    return db
      .transaction(() => {
        const r = collect();
        // Statuses first: their condition looks up the sends about to go.
        db.prepare(`DELETE FROM statuses WHERE ${where.statuses}`).run(p);
        // The ledger next, while the typed rows still say which ids were this customer's.
        const ledgerIds = db
          .prepare<[typeof p], { id: number }>(
            `SELECT id FROM raw_events WHERE ${where.raw_events}`,
          )
          .all(p)
          .map((x) => x.id);
        db.prepare(`DELETE FROM sends WHERE ${where.sends}`).run(p);
        db.prepare(`DELETE FROM inbound WHERE ${where.inbound}`).run(p);
        const delRaw = db.prepare(`DELETE FROM raw_events WHERE id = ?`);
        for (const id of ledgerIds) delRaw.run(id);
        // The whole content goes: a file that names the customer holds their messages too.
        // Its reason stays unless it names the number itself.
        db.prepare(
          `UPDATE quarantine SET content = X'', content_erased_at = @now,
                  detail = CASE WHEN webio_mentions(detail) THEN '(erased)' ELSE detail END
            WHERE ${where.quarantine}`,
        ).run({ ...p, now: opts.nowMs });
        const markChanged = prepareMarkChanged(db);
        for (const day of r.days) markChanged(day, opts.nowMs);
        db.prepare(
          `INSERT INTO erasures (erased_at, counts, days, pending_days, vacuum_pending, checkpoint_pending)
           VALUES (?, ?, ?, ?, 1, 1)`,
        ).run(opts.nowMs, JSON.stringify(r.counts), JSON.stringify(r.days), JSON.stringify(r.days));
        return r;
      })
      .immediate();
  } finally {
    db.pragma('secure_delete = OFF');
  }
}

/** What is left of the erasures not finished yet, or undefined when none is pending. */
export function pendingErasure(db: Database.Database): PendingErasure | undefined {
  const rows = db
    .prepare<[], { pending_days: string; vacuum_pending: number; checkpoint_pending: number }>(
      `SELECT pending_days, vacuum_pending, checkpoint_pending FROM erasures
        WHERE finished_at IS NULL ORDER BY id`,
    )
    .all();
  if (rows.length === 0) return undefined;
  const days = new Set<string>();
  for (const r of rows) for (const d of JSON.parse(r.pending_days) as string[]) days.add(d);
  return {
    erasures: rows.length,
    days: [...days].sort(),
    vacuum: rows.some((r) => r.vacuum_pending === 1),
    checkpoint: rows.some((r) => r.checkpoint_pending === 1),
  };
}

/** Takes days whose files were written again (or can never be) off every pending erasure. */
export function forgetPendingDays(
  db: Database.Database,
  days: readonly string[],
  nowMs: number,
): void {
  if (days.length === 0) return;
  const done = new Set(days);
  const update = db.prepare(`UPDATE erasures SET pending_days = ? WHERE id = ?`);
  db.transaction(() => {
    for (const r of db
      .prepare<[], { id: number; pending_days: string }>(
        `SELECT id, pending_days FROM erasures WHERE finished_at IS NULL`,
      )
      .all()) {
      const left = (JSON.parse(r.pending_days) as string[]).filter((d) => !done.has(d));
      update.run(JSON.stringify(left), r.id);
    }
    settle(db, nowMs);
  })();
}

/** Marks as finished every erasure with nothing left to do. */
function settle(db: Database.Database, nowMs: number): void {
  db.prepare(
    `UPDATE erasures SET finished_at = ?
      WHERE finished_at IS NULL AND pending_days = '[]' AND vacuum_pending = 0 AND checkpoint_pending = 0`,
  ).run(nowMs);
}

/**
 * Rebuilds the store so that no free page or slack keeps an erased byte (VACUUM), then
 * checkpoints and truncates the WAL, which holds the old pages until then. Each step is
 * checked: a checkpoint that a reader holds back (busy) or that leaves frames or bytes in
 * the WAL is no success. Journalled: a VACUUM done is not done again; a checkpoint that
 * failed is tried by the next call.
 */
export function compactAfterErasure(
  db: Database.Database,
  dbPath: string,
  nowMs: number,
): Compaction {
  const pending = pendingErasure(db);
  let vacuumed = false;
  if (pending?.vacuum) {
    try {
      db.exec('VACUUM');
      vacuumed = true;
      db.prepare(`UPDATE erasures SET vacuum_pending = 0 WHERE vacuum_pending = 1`).run();
    } catch (error) {
      // Not recorded as done: the next call rebuilds again, which is harmless.
      return { ok: false, step: 'vacuum', error };
    }
  }
  const ck = checkpoint(db, dbPath);
  if (!ck.ok)
    return {
      ok: false,
      step: 'checkpoint',
      busy: ck.busy,
      walBytes: ck.walBytes,
      framesLeft: ck.framesLeft,
    };
  try {
    db.transaction(() => {
      db.prepare(`UPDATE erasures SET checkpoint_pending = 0 WHERE checkpoint_pending = 1`).run();
      settle(db, nowMs);
    })();
  } catch (error) {
    return { ok: false, step: 'record', error };
  }
  // The journal's own update is in the WAL now (it holds no erased byte): empty it too.
  checkpoint(db, dbPath);
  return { ok: true, vacuumed };
}

function checkpoint(
  db: Database.Database,
  dbPath: string,
): { ok: boolean; busy: boolean; walBytes: number; framesLeft: number } {
  const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as {
    busy: number;
    log: number;
    checkpointed: number;
  }[];
  const walBytes = fileSize(`${dbPath}-wal`);
  const busy = row?.busy !== 0;
  const framesLeft = row?.log ?? 0;
  return { ok: !busy && framesLeft === 0 && walBytes === 0, busy, walBytes, framesLeft };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/**
 * Rows that still mention `key` anywhere: every text and blob column of every table, read
 * by the same rule as quarantined content. Erasure removes the customer's own events; this
 * finds what it leaves by design (another customer's message that quotes the number) so
 * that a byte check can tell a mention the store still holds from a copy left behind.
 */
export function mentionsInStore(
  db: Database.Database,
  key: string,
  exportTimeZone: string,
): StoreMentions {
  registerKey(db, key);
  const tables = db
    .prepare<[], { name: string }>(
      `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`,
    )
    .all()
    .map((t) => t.name);
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const columns: StoreMentions['columns'] = [];
  const days = new Set<string>();
  for (const table of tables) {
    const cols = db
      .prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`)
      .all(table)
      .map((c) => c.name);
    for (const column of cols) {
      const rows =
        db
          .prepare<[], { n: number }>(
            `SELECT count(*) AS n FROM ${quote(table)} WHERE webio_mentions(${quote(column)})`,
          )
          .get()?.n ?? 0;
      if (rows === 0) continue;
      columns.push({ table, column, rows: Number(rows) });
      const dayColumn =
        table === 'raw_events'
          ? 'coalesce(report_ms, date_ms)'
          : ['sends', 'inbound', 'statuses'].includes(table)
            ? 'date_ms'
            : undefined;
      if (!dayColumn) continue;
      for (const r of db
        .prepare<[], { ms: number | bigint | null }>(
          `SELECT DISTINCT ${dayColumn} AS ms FROM ${quote(table)} WHERE webio_mentions(${quote(column)})`,
        )
        .all())
        if (r.ms !== null) days.add(dayInZone(Number(r.ms), exportTimeZone));
    }
  }
  return { total: columns.reduce((n, c) => n + c.rows, 0), columns, days: [...days].sort() };
}
