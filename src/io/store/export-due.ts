import type Database from 'better-sqlite3';
import type { ExportDueRecord } from '../../core/catch-up.js';

/** The record, or undefined before any scheduled export came due on this store. */
export function readExportDue(db: Database.Database): ExportDueRecord | undefined {
  const row = db
    .prepare<[], { due_at: number; completed_at: number | null }>(
      `SELECT due_at, completed_at FROM export_due WHERE id = 1`,
    )
    .get();
  return row ? { dueAt: row.due_at, completedAt: row.completed_at } : undefined;
}

/** Records that the scheduled export of `dueMs` came due; an older instant changes nothing. */
export function recordExportDue(db: Database.Database, dueMs: number): void {
  db.prepare(
    `INSERT INTO export_due (id, due_at, completed_at) VALUES (1, ?, NULL)
     ON CONFLICT (id) DO UPDATE SET due_at = excluded.due_at, completed_at = NULL
     WHERE excluded.due_at > export_due.due_at`,
  ).run(dueMs);
}

/**
 * Marks the due export done by an export of the default days (every changed day plus
 * yesterday) that started at `startedMs`, at or after the instant it came due, and wrote every
 * file. True when it completed one.
 */
export function completeExportDue(
  db: Database.Database,
  startedMs: number,
  nowMs: number,
): boolean {
  return (
    db
      .prepare(
        `UPDATE export_due SET completed_at = ? WHERE id = 1 AND completed_at IS NULL AND due_at <= ?`,
      )
      .run(nowMs, startedMs).changes > 0
  );
}
