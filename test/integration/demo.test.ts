import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { duckdb, sqlText } from '../helpers/duckdb.js';
import { runCli, tempDir } from '../helpers/harness.js';

describe('demo', () => {
  it('runs end to end with no setup and says where the CSV files went', async () => {
    const dir = path.join(tempDir('webio-demo-'), 'demo');
    const r = await runCli(['demo', '--dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `the CSV files are in ${dir}/exports/{sends,inbound,statuses,daily-summary,other-events}/`,
    );
    expect(r.stdout).toMatch(/daily-summary for \d{4}-\d{2}-\d{2}/);
    expect(r.stdout).toMatch(/quarantined 1:\n\s+broken-upload\.json: not-json/);

    const manifest = JSON.parse(
      fs.readFileSync(path.join(dir, 'exports', 'manifest.json'), 'utf8'),
    ) as { files: { path: string; rows: number }[] };
    const sendRows = manifest.files
      .filter((f) => f.path.startsWith('sends/'))
      .reduce((a, f) => a + f.rows, 0);
    expect(sendRows).toBeGreaterThan(50);
    // The late "Unconfirmed" status reached its send's row on an earlier day.
    const sends = manifest.files
      .filter((f) => f.path.startsWith('sends/'))
      .flatMap(
        (f) =>
          parse(fs.readFileSync(path.join(dir, 'exports', f.path)), { columns: true }) as Record<
            string,
            string
          >[],
      );
    expect(sends.filter((s) => s.latestStatusLabel === 'Unconfirmed').length).toBeGreaterThan(0);
    expect(new Set(sends.map((s) => s.communicationActionId)).size).toBe(sends.length);
    // The sample data exercises every outcome and every KPI column.
    expect(new Set(sends.map((s) => s.outcome))).toEqual(
      new Set(['delivered', 'failed', 'unconfirmed', 'pending']),
    );
    const rowsOf = (report: string) =>
      manifest.files
        .filter((f) => f.path.startsWith(`${report}/`))
        .flatMap(
          (f) =>
            parse(fs.readFileSync(path.join(dir, 'exports', f.path)), {
              columns: true,
            }) as Record<string, string>[],
        );
    const summary = rowsOf('daily-summary');
    const total = (col: string) => summary.reduce((a, r) => a + Number(r[col]), 0);
    expect(total('sent')).toBe(sends.length);
    for (const col of ['delivered', 'failed', 'unconfirmed', 'pending', 'optOuts', 'replied'])
      expect(total(col), col).toBeGreaterThan(0);
    expect(summary.some((r) => r.medianSecondsToDelivery !== '')).toBe(true);
    expect(new Set(rowsOf('other-events').map((r) => r.type))).toEqual(
      new Set(['payment', 'setStatus', 'conversationClosed']),
    );

    // Both formats: every CSV day file has its Parquet file, with the same rows.
    expect(r.stdout).toContain(
      `the Parquet files are in ${dir}/exports/parquet/{sends,inbound,statuses,daily-summary,other-events}/dt=YYYY-MM-DD/`,
    );
    const parquet = (manifest.files as { path: string; rows: number; format?: string }[]).filter(
      (f) => f.format === 'parquet',
    );
    expect(parquet.length).toBe(manifest.files.length / 2);
    const glob = path.join(dir, 'exports', 'parquet', 'sends', '*', '*.parquet');
    const counted = await duckdb(
      `SELECT count(*) FROM read_parquet(${sqlText(glob)}, hive_partitioning = true)`,
    );
    expect(counted.rows[0]?.[0]).toBe(BigInt(sendRows));

    // Running it again starts afresh in the same folder.
    const again = await runCli(['demo', '--dir', dir, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).ingest.newEvents.messageSend).toBe(sendRows);
  });

  it('refuses to wipe a folder it did not make', async () => {
    const dir = tempDir('webio-demo-');
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    const r = await runCli(['demo', '--dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not empty and was not made by demo');
    expect(fs.readFileSync(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});
