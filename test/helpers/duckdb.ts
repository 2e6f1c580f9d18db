import { DuckDBInstance } from '@duckdb/node-api';

/** One query run by DuckDB in memory: the independent reader of the export's files. */
export async function duckdb(sql: string): Promise<{ columns: string[]; rows: unknown[][] }> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const reader = await conn.runAndReadAll(sql);
    return { columns: reader.columnNames(), rows: reader.getRowsJS() };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** A path or value as a SQL string literal. */
export const sqlText = (s: string): string => `'${s.replaceAll("'", "''")}'`;
