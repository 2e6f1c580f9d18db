import type Database from 'better-sqlite3';

/**
 * The changed days: calendar days (in the export zone) whose rows changed since their files
 * were last written, which the next export writes again. Ingest marks them, export clears
 * them, erasure marks the days it rewrote. The table is `dirty_days`, its name from before
 * the docs called these days "changed": renaming it would take a migration and buy no reader
 * anything.
 */

/** Marks one day changed at `nowMs` (a later mark moves the time on). */
export type MarkChanged = (day: string, nowMs: number) => void;

/** Prepares the mark once: ingest marks days for every file it commits. */
export function prepareMarkChanged(db: Database.Database): MarkChanged {
  const stmt = db.prepare(
    `INSERT INTO dirty_days (day, marked_at) VALUES (?, ?)
     ON CONFLICT (day) DO UPDATE SET marked_at = excluded.marked_at`,
  );
  return (day, nowMs) => {
    stmt.run(day, nowMs);
  };
}

/** Days marked as changed since they were last exported, oldest first. */
export function changedDays(db: Database.Database): string[] {
  return db
    .prepare<[], { day: string }>(`SELECT day FROM dirty_days ORDER BY day`)
    .all()
    .map((r) => r.day);
}

/** Clears a day's mark unless it was marked again after `exportStartedMs`. */
export function clearChanged(db: Database.Database, day: string, exportStartedMs: number): void {
  db.prepare(`DELETE FROM dirty_days WHERE day = ? AND marked_at <= ?`).run(day, exportStartedMs);
}
