import type Database from 'better-sqlite3';
import { dayInZone } from '../../core/days.js';
import type { StoreRemoval } from '../../pipeline/purge-run.js';

/** Epoch ms before which retention removed events, if it ever did. */
export function storeHorizon(db: Database.Database): number | undefined {
  const row = db
    .prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = 'store_horizon_ms'`)
    .get();
  return row ? Number(row.value) : undefined;
}

/**
 * Removes every event dated before `cutoffMs` from the typed tables and the raw ledger,
 * quarantine records (with their contents) and run records older than it, and file
 * records nothing refers to any more (never those of kept files, which stop re-reads).
 * Marks no day as changed: CSV files already written stay as they are, and export leaves
 * days before the horizon alone from now on (changed days before the cutoff's day in
 * `exportTimeZone` are forgotten). With `dryRun`, counts and changes nothing.
 */
export function purgeBefore(
  db: Database.Database,
  cutoffMs: number,
  dryRun: boolean,
  exportTimeZone: string,
): StoreRemoval {
  const p = { cutoff: cutoffMs };
  // Ledger rows older than the cutoff that no typed row kept by it points to.
  const oldRaw = `raw_events WHERE coalesce(date_ms, received_at) < @cutoff AND id NOT IN (
      SELECT raw_event_id FROM sends WHERE date_ms >= @cutoff
      UNION ALL SELECT raw_event_id FROM inbound WHERE date_ms >= @cutoff
      UNION ALL SELECT raw_event_id FROM statuses WHERE date_ms >= @cutoff)`;
  const count = (from: string) =>
    db.prepare<[typeof p], { n: number }>(`SELECT count(*) AS n FROM ${from}`).get(p)?.n ?? 0;
  const counts = (): StoreRemoval => ({
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
        // The changed days (table dirty_days) before the horizon: nothing is left to write.
        db.prepare(`DELETE FROM dirty_days WHERE day < ?`).run(dayInZone(cutoffMs, exportTimeZone));
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
