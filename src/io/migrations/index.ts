/** Numbered schema migrations; `PRAGMA user_version` records the last one applied. */
export type Migration = { version: number; name: string; sql: string };

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
];
