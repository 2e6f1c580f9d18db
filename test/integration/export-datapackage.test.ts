/**
 * datapackage.json (Frictionless Table Schema) beside the CSVs, followed by a real loader:
 * DuckDB reads the CSV day files with the declared types, and every id, address and
 * customerUID comes back exactly as Webio sent it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/files/atomic.js';
import { runExport } from '../../src/pipeline/export/run.js';
import { duckdb, sqlText } from '../helpers/duckdb.js';
import { exportOptions } from '../helpers/export-options.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { memoryLog } from '../helpers/log-sink.js';

const quiet = memoryLog();
const D = '2021-07-02';
const D2 = '2021-07-03';

const base = {
  conversationId: 'c1',
  inboundChannelAddress: 'SMS',
  customerUID: '',
  body: 'hi',
};
const send = (id: string, addr: string, uid: string, code: string, at: string) => ({
  type: 'messageSend',
  ...base,
  communicationActionId: id,
  outboundChannelAddress: addr,
  customerUID: uid,
  statusCode: code,
  dateCreated: at,
});
const status = (id: string, code: string, at: string) => ({
  type: 'messageStatusUpdate',
  ...base,
  communicationActionId: id,
  outboundChannelAddress: '',
  statusCode: code,
  dateCreated: at,
});

// The values the issue saw BI tools change: 20-digit and 2^63+ ids, a leading-zero id, phone
// numbers with + and 00 and a leading 0, a customerUID "0042", codes -1 and +5.
const EVENTS = [
  send('12345678901234567890', '+447700900123', '0042', '1', `${D} 09:00:00.000`),
  send('9223372036854775809', '00447700900456', '', '-1', `${D} 09:01:00.000`),
  send('00042', '07700900789', '007', '+5', `${D} 09:02:00.000`),
  status('12345678901234567890', '0', `${D} 09:00:02.000`),
  status('00042', '-1', `${D} 09:03:00.000`),
  send('S4', '+1 (555) 010-9999', '', '1', `${D2} 09:00:00.000`),
];

type Field = { name: string; type: string };
type Resource = {
  name: string;
  path: string[];
  format: string;
  encoding: string;
  schema: { fields: Field[]; primaryKey?: string[]; missingValues: string[] };
};

/** Table Schema types as DuckDB types: what a loader following datapackage.json asks for. */
const DUCK: Record<string, string> = {
  string: 'VARCHAR',
  integer: 'BIGINT',
  number: 'DOUBLE',
  date: 'DATE',
  datetime: 'TIMESTAMPTZ',
};

/** Reads a resource's CSV day files with the declared types, as DuckDB's read_csv does. */
async function load(dir: string, r: Resource, select = '*') {
  const files = `[${r.path.map((p) => sqlText(path.join(dir, p))).join(', ')}]`;
  const columns = `{${r.schema.fields.map((f) => `${sqlText(f.name)}: '${DUCK[f.type]}'`).join(', ')}}`;
  return duckdb(
    `SELECT ${select} FROM read_csv(${files}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = ${columns})`,
  );
}

async function exported() {
  const { store, dir } = freshStore();
  const out = path.join(dir, 'exports');
  ingestEvents(store, EVENTS, 'UTC', Date.UTC(2021, 6, 3, 15, 0));
  const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
  await runExport(deps, exportOptions(out), [D]);
  return { store, dir, out, deps };
}

const packageOf = (out: string) =>
  JSON.parse(fs.readFileSync(path.join(out, 'datapackage.json'), 'utf8')) as {
    profile: string;
    resources: Resource[];
  };

describe('datapackage.json', () => {
  it('types every report column, and a loader that follows it keeps ids, addresses and customerUIDs exactly', async () => {
    const { out } = await exported();
    const pkg = packageOf(out);
    expect(pkg.profile).toBe('tabular-data-package');
    expect(pkg.resources.map((r) => r.name)).toEqual([
      'sends',
      'inbound',
      'statuses',
      'daily-summary',
      'other-events',
    ]);
    const byName = Object.fromEntries(pkg.resources.map((r) => [r.name, r]));
    const sends = byName.sends as Resource;
    expect([sends.format, sends.encoding, sends.path]).toEqual([
      'csv',
      'utf-8',
      [`sends/sends-${D}.csv`],
    ]);
    // The typed-output rules (README, "Typed outputs"): ids, addresses, customerUID, codes and text are strings, timestamps datetime,
    // date date, counts integer, decimals number; the primary keys as listed there.
    expect(sends.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'communicationActionId:string',
      'conversationId:string',
      'dateCreated:datetime',
      'outboundChannelAddress:string',
      'inboundChannelAddress:string',
      'customerUID:string',
      'body:string',
      'statusCode:string',
      'latestStatusCode:string',
      'latestStatusLabel:string',
      'latestStatusAt:datetime',
      'outcome:string',
      'secondsToDelivery:number',
    ]);
    expect(byName['daily-summary']?.schema.fields.map((f) => f.type)).toEqual([
      'date',
      'string',
      ...Array(5).fill('integer'),
      'number',
      'number',
      'number',
      ...Array(5).fill('integer'),
    ]);
    expect(Object.fromEntries(pkg.resources.map((r) => [r.name, r.schema.primaryKey]))).toEqual({
      sends: ['communicationActionId'],
      inbound: ['communicationActionId'],
      statuses: ['communicationActionId', 'statusCode'],
      'daily-summary': ['date', 'inboundChannelAddress'],
      'other-events': undefined,
    });

    const rows = await load(
      out,
      sends,
      'communicationActionId, outboundChannelAddress, customerUID, statusCode, epoch_ms(dateCreated), secondsToDelivery',
    );
    // 09:00:00.000 UTC on 2 July = 1625216400000 ms; S1 delivered 2.000 s later.
    expect(rows.rows).toEqual([
      ['12345678901234567890', '+447700900123', '0042', '1', 1625216400000n, 2],
      ['9223372036854775809', '00447700900456', null, '-1', 1625216460000n, null],
      ['00042', '07700900789', '007', '+5', 1625216520000n, null],
    ]);
    const statuses = await load(
      out,
      byName.statuses as Resource,
      'communicationActionId, statusCode',
    );
    expect(statuses.rows).toEqual([
      ['12345678901234567890', '0'],
      ['00042', '-1'],
    ]);
    // Three sends on SMS: one delivered (2 s), 1/3 → 0.3333.
    const summary = await load(
      out,
      byName['daily-summary'] as Resource,
      `strftime(date, '%Y-%m-%d'), sent, delivered, deliveryRate, medianSecondsToDelivery`,
    );
    expect(summary.rows).toEqual([[D, 3n, 1n, 0.3333, 2]]);
  });

  it('is rewritten by every export that adds a day, and untouched by one that changes nothing', async () => {
    const { out, deps } = await exported();
    const file = path.join(out, 'datapackage.json');
    const mtime = fs.statSync(file).mtimeMs;
    await runExport(deps, exportOptions(out), [D]);
    expect(fs.statSync(file).mtimeMs).toBe(mtime);
    await runExport(deps, exportOptions(out), [D2]);
    const sends = packageOf(out).resources.find((r) => r.name === 'sends') as Resource;
    expect(sends.path).toEqual([`sends/sends-${D}.csv`, `sends/sends-${D2}.csv`]);
    const ids = await load(out, sends, 'communicationActionId, outboundChannelAddress');
    expect(ids.rows.map((r) => r.join(' '))).toEqual([
      '12345678901234567890 +447700900123',
      '9223372036854775809 00447700900456',
      '00042 07700900789',
      // Not a plain number: formula-escaped for spreadsheets (export.escapeFormulas); a
      // warehouse reads the Parquet files or turns escaping off.
      "S4 '+1 (555) 010-9999",
    ]);
  });

  it('names, like manifest.json, only files inside export.dir after export.dir changes', async () => {
    const { store, dir, deps } = await exported();
    // The same store, exported into another folder from now on: only D2 is written there.
    const moved = path.join(dir, 'exports-new');
    await runExport(deps, exportOptions(moved), [D2]);
    expect(store.exportRecords().filter((r) => r.day === D)).toHaveLength(5);
    const manifest = JSON.parse(fs.readFileSync(path.join(moved, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    };
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      ['daily-summary', 'inbound', 'other-events', 'sends', 'statuses'].map(
        (r) => `${r}/${r}-${D2}.csv`,
      ),
    );
    const paths = packageOf(moved).resources.flatMap((r) => r.path);
    expect(paths).toHaveLength(5);
    for (const p of [...paths, ...manifest.files.map((f) => f.path)]) {
      expect(p.startsWith('..'), p).toBe(false);
      expect(fs.existsSync(path.join(moved, p)), p).toBe(true);
    }
  });
});
