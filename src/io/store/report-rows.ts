import type Database from 'better-sqlite3';
import type { ReportDefinition, ReportParams, ReportTempTable } from '../../reports/index.js';

/**
 * Runs report queries on one connection, knowing no report by name: what a report needs
 * (its SQL functions, its temp tables) it declares in its definition (src/reports/), and
 * this sets it up before the query's first run. Each report's statement is prepared once.
 */
export class ReportRows {
  private readonly statements = new Map<string, Database.Statement>();
  /** Temp tables created on this connection, by name, with the rows they were last filled with. */
  private readonly tempTables = new Map<string, string | undefined>();

  constructor(private readonly db: Database.Database) {}

  /**
   * One day of a report's rows, as arrays, read lazily: one statement stepped row by row, so
   * memory does not grow with the day. The connection is busy until the iterator finishes
   * or is returned.
   */
  iterate(report: ReportDefinition, params: ReportParams): IterableIterator<unknown[]> {
    let stmt = this.statements.get(report.name);
    if (!stmt) {
      for (const f of report.functions ?? [])
        this.db.function(f.name, { deterministic: true }, f.fn as (...args: unknown[]) => unknown);
      // The tables must exist before the query that reads them is prepared.
      for (const table of report.tempTables ?? []) this.createTempTable(table);
      stmt = this.db.prepare(report.sql).raw(true);
      this.statements.set(report.name, stmt);
    }
    for (const table of report.tempTables ?? []) this.fillTempTable(table, params);
    return stmt.iterate(params) as IterableIterator<unknown[]>;
  }

  private createTempTable(table: ReportTempTable): void {
    if (this.tempTables.has(table.name)) return;
    this.db.exec(table.create);
    this.tempTables.set(table.name, undefined);
  }

  /** Fills a temp table from a day's parameters when its rows differ from the last ones. */
  private fillTempTable(table: ReportTempTable, params: ReportParams): void {
    const rows = table.rows(params);
    const key = JSON.stringify(rows);
    if (key === this.tempTables.get(table.name)) return;
    const insert = this.db.prepare(table.insert);
    this.db.transaction(() => {
      this.db.prepare(`DELETE FROM temp."${table.name.replace(/"/g, '""')}"`).run();
      for (const row of rows) insert.run(...row);
    })();
    this.tempTables.set(table.name, key);
  }
}
