import type Database from 'better-sqlite3';

/** The error recorded for a run whose process ended before it did. */
export const INTERRUPTED =
  'interrupted: the process ended before this run did (killed, crashed, or the machine stopped)';

/**
 * Ends the runs that never ended: their process died (a run is recorded only while its process
 * holds the write lock, so the caller, holding it now, knows none of them is still going).
 * `status` then tells an export killed at 00:15 from one that succeeded. Returns how many.
 */
export function closeInterruptedRuns(db: Database.Database, nowMs: number): number {
  return db
    .prepare(`UPDATE runs SET ended_at = ?, ok = 0, error = ? WHERE ended_at IS NULL`)
    .run(nowMs, INTERRUPTED).changes;
}
