import type Database from 'better-sqlite3';
import type { ExportRecord } from '../../pipeline/export/ports.js';
import type { ExportFormat } from '../../reports/index.js';

/** An `exports` row: an ExportRecord in the table's column names. */
type Row = Omit<ExportRecord, 'exportedAt'> & { exported_at: number };

const toRecord = (r: Row): ExportRecord => ({
  report: r.report,
  day: r.day,
  format: r.format,
  path: r.path,
  rows: r.rows,
  bytes: r.bytes,
  sha256: r.sha256,
  exportedAt: r.exported_at,
});

/** Records a written export file: one per report, day and format. */
export function recordExport(db: Database.Database, rec: ExportRecord): void {
  db.prepare(
    `INSERT INTO exports (report, day, format, path, rows, bytes, sha256, exported_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (report, day, format) DO UPDATE SET path = excluded.path, rows = excluded.rows,
       bytes = excluded.bytes, sha256 = excluded.sha256, exported_at = excluded.exported_at`,
  ).run(rec.report, rec.day, rec.format, rec.path, rec.rows, rec.bytes, rec.sha256, rec.exportedAt);
}

/** Every export file recorded, by report, day, then format (CSV before Parquet). */
export function exportRecords(db: Database.Database): ExportRecord[] {
  return db
    .prepare<[], Row>(`SELECT * FROM exports ORDER BY report, day, format`)
    .all()
    .map(toRecord);
}

/** The recorded export of one report, day and format. */
export function findExport(
  db: Database.Database,
  report: string,
  day: string,
  format: ExportFormat,
): ExportRecord | undefined {
  const row = db
    .prepare<[string, string, string], Row>(
      `SELECT * FROM exports WHERE report = ? AND day = ? AND format = ?`,
    )
    .get(report, day, format);
  return row ? toRecord(row) : undefined;
}

/** Forgets a day file that retention deleted, so the manifest no longer lists it. */
export function removeExportRecord(
  db: Database.Database,
  report: string,
  day: string,
  format: ExportFormat,
): void {
  db.prepare(`DELETE FROM exports WHERE report = ? AND day = ? AND format = ?`).run(
    report,
    day,
    format,
  );
}
