import type Database from 'better-sqlite3';
import { TABLES, type Table } from '../../core/dedup.js';
import { dayRange } from '../../core/days.js';

/** What `status` and the health check read: counts, quarantine, files not finished. */

/** Rows per typed table and raw events per type. */
export function storeCounts(db: Database.Database): {
  typed: Record<Table, number>;
  rawByType: Record<string, number>;
  conflicts: number;
} {
  const typed = {} as Record<Table, number>;
  let conflicts = 0;
  for (const r of TABLES) {
    const row = db
      .prepare<[], { n: number; c: number | null }>(
        `SELECT count(*) AS n, sum(conflicts) AS c FROM ${r}`,
      )
      .get();
    typed[r] = row?.n ?? 0;
    conflicts += row?.c ?? 0;
  }
  const rawByType: Record<string, number> = {};
  for (const row of db
    .prepare<[], { type: string; n: number }>(
      `SELECT type, count(*) AS n FROM raw_events GROUP BY type ORDER BY type`,
    )
    .all()) {
    rawByType[row.type] = row.n;
  }
  return { typed, rawByType, conflicts };
}

/** Rows of each table, and other-type events, on one calendar day in `timeZone`. */
export function countDay(
  db: Database.Database,
  day: string,
  timeZone: string,
): Record<Table | 'other', number> {
  const { startMs, endMs } = dayRange(day, timeZone);
  const out = {} as Record<Table | 'other', number>;
  for (const r of TABLES) {
    out[r] =
      db
        .prepare<[number, number], { n: number }>(
          `SELECT count(*) AS n FROM ${r} WHERE date_ms >= ? AND date_ms < ?`,
        )
        .get(startMs, endMs)?.n ?? 0;
  }
  out.other =
    db
      .prepare<[number, number], { n: number }>(
        `SELECT count(*) AS n FROM raw_events WHERE outcome = 'other' AND report_ms >= ? AND report_ms < ?`,
      )
      .get(startMs, endMs)?.n ?? 0;
  return out;
}

/** Delivery reports (statuses) dated from `sinceMs` on, counted per status code. */
export function statusCodeCounts(
  db: Database.Database,
  sinceMs: number,
): { code: string; count: number }[] {
  return db
    .prepare<[number], { code: string; count: number }>(
      `SELECT status_code AS code, count(*) AS count FROM statuses WHERE date_ms >= ?
        GROUP BY status_code ORDER BY count(*) DESC, status_code`,
    )
    .all(sinceMs);
}

/** When a file last arrived, whatever became of it. */
export function lastFileAt(db: Database.Database): number | undefined {
  return (
    db.prepare<[], { m: number | null }>(`SELECT max(ingested_at) AS m FROM files`).get()?.m ??
    undefined
  );
}

/** A quarantined file as `status` lists it. */
export type QuarantinedFile = {
  name: string;
  reason: string;
  detail: string;
  at: number;
  movedTo: string | null;
};

/** Quarantined files, newest first, and how many there are in all. */
export function quarantined(
  db: Database.Database,
  limit: number,
): { total: number; items: QuarantinedFile[] } {
  const total = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM quarantine`).get()?.n ?? 0;
  const items = db
    .prepare<[number], QuarantinedFile>(
      `SELECT q.name, q.reason, q.detail, q.quarantined_at AS at, f.finished_path AS movedTo
         FROM quarantine q JOIN files f ON f.id = q.file_id ORDER BY q.id DESC LIMIT ?`,
    )
    .all(limit);
  return { total, items };
}

/** Files whose move/delete failed and is retried on every poll. */
export function unfinishedFiles(
  db: Database.Database,
): { name: string; finish: string; error: string | null }[] {
  return db
    .prepare<[], { name: string; finish: string; error: string | null }>(
      `SELECT name, finish, finish_error AS error FROM files WHERE finish IN ('pending', 'failed') ORDER BY id`,
    )
    .all();
}
