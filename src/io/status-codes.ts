import type Database from 'better-sqlite3';

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
