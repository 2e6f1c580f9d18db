import type Database from 'better-sqlite3';
import { dayInZone, parseWebioDate } from '../../core/days.js';
import { AppError } from '../../errors.js';

/** What a migration that rewrites data needs to know. */
export type MigrationContext = { sourceTimeZone: string; exportTimeZone: string; nowMs: number };

/**
 * Numbered schema migrations; `PRAGMA user_version` records the last one applied. `sql` runs
 * first, then `run` for what SQL alone cannot do (reading dates in a time zone).
 */
export type Migration = {
  version: number;
  name: string;
  sql: string;
  run?: (db: Database.Database, ctx: MigrationContext) => void;
};

/** Every migration, oldest first; a new one goes at the end with the next version. */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        remote_path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('ingested', 'quarantined')),
        events INTEGER NOT NULL DEFAULT 0,
        new_events INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        conflicts INTEGER NOT NULL DEFAULT 0,
        finish TEXT NOT NULL DEFAULT 'pending'
          CHECK (finish IN ('pending', 'moved', 'deleted', 'kept', 'failed', 'gone')),
        finished_path TEXT,
        finish_error TEXT,
        ingested_at INTEGER NOT NULL,
        finished_at INTEGER
      );
      CREATE INDEX files_by_hash ON files (content_hash);
      CREATE INDEX files_by_identity ON files (remote_path, size, mtime_ms);
      CREATE INDEX files_unfinished ON files (finish) WHERE finish IN ('pending', 'failed');

      CREATE TABLE quarantine (
        id INTEGER PRIMARY KEY,
        file_id INTEGER NOT NULL REFERENCES files (id),
        name TEXT NOT NULL,
        reason TEXT NOT NULL,
        detail TEXT NOT NULL,
        size INTEGER NOT NULL,
        content BLOB NOT NULL,
        content_truncated INTEGER NOT NULL DEFAULT 0,
        quarantined_at INTEGER NOT NULL
      );

      CREATE TABLE raw_events (
        id INTEGER PRIMARY KEY,
        payload_hash TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        communication_action_id TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('new', 'duplicate', 'conflict', 'other')),
        payload TEXT NOT NULL,
        file_id INTEGER REFERENCES files (id),
        received_at INTEGER NOT NULL
      );
      CREATE INDEX raw_events_by_type ON raw_events (type);

      CREATE TABLE sends (
        communication_action_id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        outbound_channel_address TEXT NOT NULL,
        inbound_channel_address TEXT NOT NULL,
        customer_uid TEXT NOT NULL,
        body TEXT NOT NULL,
        status_code TEXT NOT NULL,
        date_created TEXT NOT NULL,
        date_ms INTEGER NOT NULL,
        raw_event_id INTEGER NOT NULL REFERENCES raw_events (id),
        conflicts INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX sends_by_date ON sends (date_ms, communication_action_id);

      CREATE TABLE inbound (
        communication_action_id TEXT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        outbound_channel_address TEXT NOT NULL,
        inbound_channel_address TEXT NOT NULL,
        customer_uid TEXT NOT NULL,
        body TEXT NOT NULL,
        status_code TEXT NOT NULL DEFAULT '',
        date_created TEXT NOT NULL,
        date_ms INTEGER NOT NULL,
        raw_event_id INTEGER NOT NULL REFERENCES raw_events (id),
        conflicts INTEGER NOT NULL DEFAULT 0
      );
      CREATE INDEX inbound_by_date ON inbound (date_ms, communication_action_id);

      CREATE TABLE statuses (
        communication_action_id TEXT NOT NULL,
        status_code TEXT NOT NULL,
        conversation_id TEXT NOT NULL,
        outbound_channel_address TEXT NOT NULL,
        inbound_channel_address TEXT NOT NULL,
        customer_uid TEXT NOT NULL,
        body TEXT NOT NULL DEFAULT '',
        date_created TEXT NOT NULL,
        date_ms INTEGER NOT NULL,
        raw_event_id INTEGER NOT NULL REFERENCES raw_events (id),
        conflicts INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (communication_action_id, status_code)
      );
      CREATE INDEX statuses_by_date ON statuses (date_ms, communication_action_id, status_code);
      CREATE INDEX statuses_latest ON statuses (communication_action_id, date_ms);

      CREATE TABLE dirty_days (
        day TEXT PRIMARY KEY,
        marked_at INTEGER NOT NULL
      );

      CREATE TABLE exports (
        report TEXT NOT NULL,
        day TEXT NOT NULL,
        path TEXT NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        exported_at INTEGER NOT NULL,
        PRIMARY KEY (report, day)
      );

      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('ingest', 'export')),
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        ok INTEGER,
        summary TEXT,
        error TEXT
      );
      CREATE INDEX runs_by_kind ON runs (kind, id);
    `,
  },
  {
    version: 2,
    name: 'reports: other events by day, conversations for replies',
    sql: `
      -- Other-type events get a day: their dateCreated (date_ms) when readable, else arrival.
      ALTER TABLE raw_events ADD COLUMN date_ms INTEGER;
      ALTER TABLE raw_events ADD COLUMN report_ms INTEGER;
      CREATE INDEX raw_events_other_by_day ON raw_events (report_ms) WHERE outcome = 'other';
      CREATE INDEX sends_by_conversation ON sends (conversation_id, date_ms);
      CREATE INDEX inbound_by_conversation ON inbound (conversation_id, date_ms);
      -- Covers a send's final status (latest date_ms, then class by code) without a table read.
      DROP INDEX statuses_latest;
      CREATE INDEX statuses_final ON statuses (communication_action_id, date_ms, status_code);
    `,
    run(db, ctx) {
      const others = db
        .prepare<[], { id: number; payload: string; received_at: number }>(
          `SELECT id, payload, received_at FROM raw_events WHERE outcome = 'other'`,
        )
        .all();
      const update = db.prepare(`UPDATE raw_events SET date_ms = ?, report_ms = ? WHERE id = ?`);
      const mark = db.prepare(
        `INSERT INTO dirty_days (day, marked_at) VALUES (?, ?)
         ON CONFLICT (day) DO UPDATE SET marked_at = excluded.marked_at`,
      );
      for (const o of others) {
        const dateMs = otherEventDateMs(o.payload, ctx.sourceTimeZone);
        update.run(dateMs ?? null, dateMs ?? o.received_at, o.id);
        mark.run(dayInZone(dateMs ?? o.received_at, ctx.exportTimeZone), ctx.nowMs);
      }
      // Days already exported get the new columns and reports on the next export, so every
      // file of a report folder has the same header.
      for (const { day } of db
        .prepare<[], { day: string }>(`SELECT DISTINCT day FROM exports`)
        .all())
        mark.run(day, ctx.nowMs);
    },
  },
  {
    version: 3,
    name: 'retention horizon and erasure records',
    sql: `
      -- Facts about the store as a whole, e.g. the horizon before which retention removed events.
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      -- Erasures (GDPR art. 17): what was removed, never whose.
      CREATE TABLE erasures (
        id INTEGER PRIMARY KEY,
        erased_at INTEGER NOT NULL,
        counts TEXT NOT NULL,
        days TEXT NOT NULL
      );
      -- Retention and erasure find ledger rows by date.
      CREATE INDEX raw_events_by_date ON raw_events (coalesce(date_ms, received_at));
    `,
  },
  {
    version: 4,
    name: 'drop changed days no export can write',
    sql: `
      -- Before dates were bounded at ingest, a dateCreated like "9999-12-31 23:59:59-23:59"
      -- marked day "+010000-01-01" as changed, and every export failed on it from then on.
      DELETE FROM dirty_days
      WHERE day NOT GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]' OR day < '2000-01-01';
    `,
  },
  {
    version: 5,
    name: 'erasure journal',
    // What an erasure still has to do, so that a rerun or the next start finishes it: the CSV
    // days to write again (JSON array), the rebuild (VACUUM), the truncating checkpoint.
    // Never the address. Erasures recorded before this were finished when they returned.
    // And when erasure emptied a quarantined file's content (it mentioned an erased address).
    sql: '',
    run(db) {
      // Columns added only where missing: the migration may meet a store it already changed
      // (one whose user_version was set back by hand) and must not fail on it.
      addColumn(db, 'erasures', 'pending_days', `TEXT NOT NULL DEFAULT '[]'`);
      addColumn(db, 'erasures', 'vacuum_pending', 'INTEGER NOT NULL DEFAULT 0');
      addColumn(db, 'erasures', 'checkpoint_pending', 'INTEGER NOT NULL DEFAULT 0');
      if (addColumn(db, 'erasures', 'finished_at', 'INTEGER'))
        db.exec(`UPDATE erasures SET finished_at = erased_at`);
      addColumn(db, 'quarantine', 'content_erased_at', 'INTEGER');
      db.exec(
        `CREATE INDEX IF NOT EXISTS erasures_pending ON erasures (id) WHERE finished_at IS NULL`,
      );
    },
  },
  {
    version: 6,
    name: 'the scheduled export that is due',
    sql: `
      -- The last scheduled export that came due (its instant in epoch ms) and when an export
      -- started at or after it finished with every file written (NULL while it has not): a
      -- service that was down or killed over the export time exports at its next start.
      CREATE TABLE IF NOT EXISTS export_due (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        due_at INTEGER NOT NULL,
        completed_at INTEGER
      );
    `,
  },
  {
    version: 7,
    name: 'exports by format; days exported again under the new cell rules',
    sql: `
      -- A report's day is now written as CSV and, with export.formats, as Parquet: one record
      -- per format. Records from before are CSV.
      CREATE TABLE exports_by_format (
        report TEXT NOT NULL,
        day TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('csv', 'parquet')),
        path TEXT NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        exported_at INTEGER NOT NULL,
        PRIMARY KEY (report, day, format)
      );
      INSERT INTO exports_by_format (report, day, format, path, rows, bytes, sha256, exported_at)
        SELECT report, day, 'csv', path, rows, bytes, sha256, exported_at FROM exports;
      DROP TABLE exports;
      ALTER TABLE exports_by_format RENAME TO exports;
    `,
    run(db, ctx) {
      // Plain numbers are no longer escaped and control characters are replaced: every day
      // already exported is written again by the next export, so each report folder holds
      // one kind of cell (a folder mixing '-1 and -1 is the type drift this avoids).
      db.prepare(
        `INSERT INTO dirty_days (day, marked_at) SELECT DISTINCT day, ? FROM exports WHERE true
         ON CONFLICT (day) DO UPDATE SET marked_at = excluded.marked_at`,
      ).run(ctx.nowMs);
    },
  },
  {
    version: 8,
    name: 'kept files are read again to compare their content',
    // With afterIngest "keep", a re-upload under the same name with the same size and time
    // is found only by its content: kept files are read again, least recently checked first.
    sql: '',
    run(db) {
      if (addColumn(db, 'files', 'checked_at', 'INTEGER'))
        db.exec(`UPDATE files SET checked_at = finished_at WHERE finish = 'kept'`);
      db.exec(
        `CREATE INDEX IF NOT EXISTS files_kept_by_path ON files (remote_path) WHERE finish = 'kept'`,
      );
    },
  },
];

/** Adds a column unless the table has it; says whether it did. */
function addColumn(db: Database.Database, table: string, column: string, type: string): boolean {
  const has = db
    .prepare<[string], { name: string }>(`SELECT name FROM pragma_table_info(?)`)
    .all(table)
    .some((c) => c.name === column);
  if (!has) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  return !has;
}

function otherEventDateMs(payload: string, tz: string): number | undefined {
  try {
    const date = (JSON.parse(payload) as { dateCreated?: unknown }).dateCreated;
    return typeof date === 'string' ? parseWebioDate(date, tz) : undefined;
  } catch {
    return undefined;
  }
}

/** The schema version this program was written for: the last migration's. */
export const LATEST_VERSION = migrations[migrations.length - 1]?.version ?? 0;

/** Applies every migration newer than the store's `user_version`, each in its own transaction. */
export function migrate(db: Database.Database, ctx: Omit<MigrationContext, 'nowMs'>): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.run?.(db, { ...ctx, nowMs: Date.now() });
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/**
 * For a reader, which never migrates: it needs the schema this program was written for.
 * Throws an AppError that says which side to upgrade.
 */
export function assertSchemaCurrent(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current === LATEST_VERSION) return;
  throw new AppError(
    'SCHEMA',
    current < LATEST_VERSION
      ? `the store ${file} has schema version ${current}, older than this program's ${LATEST_VERSION}; start the service or run \`webio-reports ingest\` once to upgrade it`
      : `the store ${file} has schema version ${current}, newer than this program's ${LATEST_VERSION}; it was written by a newer webio-reports: upgrade this one`,
  );
}
