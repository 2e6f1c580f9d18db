import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/files/atomic.js';
import type { WriteFile } from '../../src/pipeline/export/ports.js';
import { defaultExportDays, isReportableDay, runExport } from '../../src/pipeline/export/run.js';
import { messageSend, payment } from '../fixtures/webio.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { exportOptions } from '../helpers/export-options.js';
import { memoryLog } from '../helpers/log-sink.js';

// Export's edges, in process with a real store and the real atomic writer: the retention
// horizon, paging, the manifest's time and failure, and pseudonyms of missing addresses.
const quiet = memoryLog();
const REPORT_NAMES = ['sends', 'inbound', 'statuses', 'daily-summary', 'other-events'];

const options = exportOptions;
const send = (id: string, dateCreated: string, extra: object = {}) => ({
  ...messageSend,
  communicationActionId: id,
  dateCreated,
  ...extra,
});
const rows = (file: string): Record<string, string>[] =>
  parse(fs.readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];

describe('export edges', () => {
  it('names the days an export may write, and yesterday in the export zone', () => {
    expect(isReportableDay('2000-01-01')).toBe(true);
    expect(isReportableDay('1999-12-31')).toBe(false);
    expect(isReportableDay('2026-02-30')).toBe(false);
    // 23:30 UTC on 30 June is 00:30 on 1 July in London: yesterday there is 30 June.
    const now = Date.UTC(2026, 5, 30, 23, 30);
    const store = { changedDays: () => ['2026-06-30', '2026-05-02'] };
    expect(defaultExportDays(store, now, 'Europe/London')).toEqual(['2026-05-02', '2026-06-30']);
    expect(defaultExportDays(store, now, 'UTC')).toEqual([
      '2026-05-02',
      '2026-06-29',
      '2026-06-30',
    ]);
  });

  it('leaves days before the retention horizon as written, and writes the day that starts at it', async () => {
    const { store, dir } = freshStore('Europe/London');
    ingestEvents(store, [
      send('old', '2026-06-24 12:00:00.000'),
      send('new', '2026-06-25 12:00:00.000'),
    ]);
    // Day 2026-06-25 starts in London at 2026-06-24T23:00:00Z.
    store.purgeBefore(Date.UTC(2026, 5, 24, 23), false);
    const out = path.join(dir, 'exports');
    const s = await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2026-06-24', '2026-06-25'],
    );
    expect(s.skipped).toEqual(['2026-06-24']);
    expect(s.failures).toEqual([]);
    expect(s.files.map((f) => `${f.report} ${f.day}`)).toEqual(
      REPORT_NAMES.map((r) => `${r} 2026-06-25`),
    );
    expect(fs.existsSync(path.join(out, 'sends', 'sends-2026-06-24.csv'))).toBe(false);
    expect(
      rows(path.join(out, 'sends', 'sends-2026-06-25.csv')).map((r) => r.communicationActionId),
    ).toEqual(['new']);
    expect(store.changedDays()).toEqual([]);
  });

  it('passes CSV on in chunks of pages of pageSize rows, the same bytes as one chunk', async () => {
    const { store, dir } = freshStore('Europe/London');
    ingestEvents(
      store,
      [1, 2, 3, 4, 5].map((i) => send(String(i), `2026-06-25 1${i}:00:00.000`)),
    );
    const pages = new Map<string, number>();
    const counting: WriteFile = async (target, chunks, o) => {
      const seen: string[] = [];
      for await (const c of chunks) seen.push(c);
      pages.set(path.basename(target), seen.length);
      return writeFileAtomic(target, seen, o);
    };
    const paged = path.join(dir, 'paged');
    const whole = path.join(dir, 'whole');
    const deps = { store, writeFile: counting, clock: Date.now, log: quiet };
    // Pages of 2 rows, each passed on at once (a chunk of at least 1 character).
    await runExport(deps, options(paged, { pageSize: 2, chunkChars: 1 }), ['2026-06-25']);
    // 5 sends: chunks after rows 2 and 4, then the rest with the end of the file.
    expect(pages.get('sends-2026-06-25.csv')).toBe(3);
    // No inbound rows: the header alone, as one chunk.
    expect(pages.get('inbound-2026-06-25.csv')).toBe(1);
    store.markChanged('2026-06-25', Date.now());
    await runExport(deps, options(whole), ['2026-06-25']);
    // By default a chunk is 8 Ki characters: 5 rows and the end of the file are one chunk.
    expect(pages.get('sends-2026-06-25.csv')).toBe(1);
    const file = (d: string) =>
      fs.readFileSync(path.join(d, 'sends', 'sends-2026-06-25.csv'), 'utf8');
    expect(file(paged)).toBe(file(whole));
    expect(rows(path.join(paged, 'sends', 'sends-2026-06-25.csv'))).toHaveLength(5);
  });

  it('dates the manifest by its newest file, which an unchanged re-export does not move', async () => {
    const { store, dir } = freshStore('Europe/London');
    ingestEvents(store, [
      send('1', '2026-06-24 12:00:00.000'),
      send('2', '2026-06-25 12:00:00.000'),
    ]);
    const out = path.join(dir, 'exports');
    const at = (ms: number) => ({ store, writeFile: writeFileAtomic, clock: () => ms, log: quiet });
    const t1 = Date.UTC(2026, 6, 1, 6);
    const t2 = Date.UTC(2026, 6, 2, 6);
    await runExport(at(t2), options(out), ['2026-06-25']);
    await runExport(at(t1), options(out), ['2026-06-24']);
    const manifest = () =>
      JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8')) as {
        generatedAt: string;
        files: { day: string; exportedAt: string }[];
      };
    expect(manifest().generatedAt).toBe('2026-07-02T06:00:00.000Z');
    // Again later, nothing changed: no file is rewritten, so the manifest keeps its time.
    await runExport(at(Date.UTC(2026, 6, 3, 6)), options(out), ['2026-06-24', '2026-06-25']);
    expect(manifest().generatedAt).toBe('2026-07-02T06:00:00.000Z');
    expect(new Set(manifest().files.map((f) => f.exportedAt))).toEqual(
      new Set(['2026-07-01T06:00:00.000Z', '2026-07-02T06:00:00.000Z']),
    );
  });

  it('reports a manifest it could not write, keeping the day files and clearing the day', async () => {
    const { store, dir } = freshStore('Europe/London');
    ingestEvents(store, [send('1', '2026-06-25 12:00:00.000')]);
    const out = path.join(dir, 'exports');
    const noManifest: WriteFile = (target, chunks, o) =>
      target.endsWith('manifest.json')
        ? Promise.reject(new Error('no space left on device'))
        : writeFileAtomic(target, chunks, o);
    const s = await runExport(
      { store, writeFile: noManifest, clock: Date.now, log: quiet },
      options(out),
      ['2026-06-25'],
    );
    expect(s.failures).toEqual([
      { path: path.join(out, 'manifest.json'), error: 'no space left on device' },
    ]);
    expect(s.manifest).toBe(path.join(out, 'manifest.json'));
    expect(s.files).toHaveLength(REPORT_NAMES.length);
    expect(store.changedDays()).toEqual([]);
  });

  it('pseudonymises present addresses only: an empty one stays empty, a payload without one is as stored', async () => {
    const { store, dir } = freshStore('Europe/London');
    ingestEvents(store, [
      send('1', '2026-06-25 12:00:00.000', { outboundChannelAddress: '' }),
      send('2', '2026-06-25 13:00:00.000', { outboundChannelAddress: '447700900123' }),
      { ...payment, dateCreated: '2026-06-25 14:00:00.000' },
    ]);
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out, { addressMode: 'mask' }),
      ['2026-06-25'],
    );
    expect(
      rows(path.join(out, 'sends', 'sends-2026-06-25.csv')).map((r) => r.outboundChannelAddress),
    ).toEqual(['', '********0123']);
    const other = rows(path.join(out, 'other-events', 'other-events-2026-06-25.csv'));
    expect(other.map((r) => JSON.parse(r.payload ?? ''))).toEqual([
      { ...payment, dateCreated: '2026-06-25 14:00:00.000' },
    ]);

    // Hashed, an empty address stays empty too (the HMAC of "" would be 64 hex digits).
    const hashed = path.join(dir, 'hashed');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(hashed, { addressMode: 'hash', hashKey: 'a-secret-of-sixteen+' }),
      ['2026-06-25'],
    );
    const cells = rows(path.join(hashed, 'sends', 'sends-2026-06-25.csv')).map(
      (r) => r.outboundChannelAddress,
    );
    expect(cells[0]).toBe('');
    expect(cells[1]).toMatch(/^[0-9a-f]{64}$/);

    await expect(
      runExport(
        { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
        options(path.join(dir, 'h'), { addressMode: 'hash' }),
        ['2026-06-25'],
      ),
    ).rejects.toThrow('addressMode "hash" needs hashKey');
  });
});
