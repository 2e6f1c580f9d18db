import { ByteWriter, ParquetWriter, type SchemaElement } from 'hyparquet-writer';
import type { TableEncoder } from '../pipeline/export/ports.js';
import type { Cell, ColumnType, ReportColumn } from '../reports/index.js';

/**
 * Rows per row group. A report thread holds one group's cells, and the writer's copies of
 * them, until the group is encoded, so this bounds the export's memory: one export of all
 * five reports of 1,000,000 sends peaked at 243 / 246 / 270 / 312 MB with groups of 2,048 /
 * 4,096 / 8,192 / 16,384 rows (files 40 / 39 / 37 / 35 MB). DuckDB, pandas and Spark read
 * groups of any size.
 */
export const ROW_GROUP_ROWS = 4096;

const DAY_MS = 86_400_000;

/** The Parquet schema element of each column type (README, "Typed outputs: Parquet and datapackage.json"). */
function schemaElement(name: string, type: ColumnType): SchemaElement {
  const optional = { name, repetition_type: 'OPTIONAL' } as const;
  switch (type) {
    case 'string':
      return {
        ...optional,
        type: 'BYTE_ARRAY',
        converted_type: 'UTF8',
        logical_type: { type: 'STRING' },
      };
    case 'datetime':
      return {
        ...optional,
        type: 'INT64',
        converted_type: 'TIMESTAMP_MILLIS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
      };
    case 'date':
      return { ...optional, type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } };
    case 'integer':
      return { ...optional, type: 'INT64' };
    case 'number':
      return { ...optional, type: 'DOUBLE' };
  }
}

/**
 * A cell as Parquet holds it: exactly as stored (no formula escaping, no replaced
 * characters), an empty cell null, an instant its epoch milliseconds, a date its days since
 * 1970-01-01, a count a bigint (INT64), a decimal the double its text names.
 */
function parquetValue(type: ColumnType, cell: Cell): unknown {
  if (cell === null || cell === '') return null;
  switch (type) {
    case 'string':
      return typeof cell === 'string' ? cell : String(cell);
    case 'datetime':
      // A dateCreated that could not be read (other-events) has no instant: its text is in payload.
      return typeof cell === 'number' ? cell : null;
    case 'date': {
      const [y, m, d] = String(cell).split('-').map(Number);
      return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1) / DAY_MS;
    }
    case 'integer':
      return BigInt(cell);
    case 'number':
      return Number(cell);
  }
}

/**
 * hyparquet-writer's ByteWriter, emptied into `ready` after each row group (ParquetWriter
 * calls `flush` then) and at the end, so the buffer holds one group's bytes, not the file's.
 */
class ChunkWriter extends ByteWriter {
  constructor(private readonly ready: Uint8Array[]) {
    super(1 << 16);
  }

  flush(): void {
    if (this.index === 0) return;
    this.ready.push(new Uint8Array(this.buffer.slice(0, this.index)));
    this.index = 0;
  }

  override finish(): void {
    this.flush();
  }
}

/**
 * A Parquet encoder for one report's day (hyparquet-writer: pure JavaScript, snappy
 * compression, column statistics). Rows are added one at a time; every `rowGroupRows` rows a
 * row group is encoded and its bytes returned, so memory holds one group, never the day.
 * The file's bytes depend only on the rows: the same day gives the same file.
 */
export function createParquetEncoder(
  columns: readonly ReportColumn[],
  rowGroupRows = ROW_GROUP_ROWS,
): TableEncoder {
  const types = columns.map((c) => c.type);
  const ready: Uint8Array[] = [];
  const bytes = new ChunkWriter(ready);
  const writer = new ParquetWriter({
    writer: bytes,
    schema: [
      { name: 'schema', num_children: columns.length },
      ...columns.map((c) => schemaElement(c.name, c.type)),
    ],
    codec: 'SNAPPY',
    createdBy: 'webio-reports',
  });
  let group: unknown[][] = types.map(() => []);
  let rows = 0;
  const take = (): Uint8Array | undefined => {
    if (!ready.length) return undefined;
    const out = ready.length === 1 ? ready[0] : Buffer.concat(ready);
    ready.length = 0;
    return out;
  };
  const writeGroup = (): void => {
    if (rows === 0) return;
    const data = group;
    group = types.map(() => []);
    rows = 0;
    void writer.write({
      // Statistics (min/max) where a reader prunes by them: instants, dates and numbers. For
      // text they cost a comparison per value and prune nothing (ids, bodies).
      columnData: columns.map((c, i) => ({
        name: c.name,
        data: data[i] ?? [],
        statistics: c.type !== 'string',
      })),
      rowGroupSize: rowGroupRows,
    });
  };
  return {
    add(cells) {
      for (let i = 0; i < types.length; i++)
        (group[i] as unknown[]).push(parquetValue(types[i] as ColumnType, cells[i] ?? null));
      if (++rows < rowGroupRows) return undefined;
      writeGroup();
      return take();
    },
    finish() {
      writeGroup();
      void writer.finish();
      return take() ?? new Uint8Array(0);
    },
  };
}
