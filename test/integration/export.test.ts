import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/files/atomic.js';
import type { WriteFile } from '../../src/pipeline/export/ports.js';
import { runExport, defaultExportDays } from '../../src/pipeline/export/run.js';
import { mergeLabels } from '../../src/core/status-labels.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { exportOptions } from '../helpers/export-options.js';
import { memoryLog } from '../helpers/log-sink.js';

const quiet = memoryLog();

const base = {
  conversationId: '97226',
  outboundChannelAddress: '447700900123',
  inboundChannelAddress: 'WhatsApp QA Test',
  customerUID: '',
};
const send = (id: string, dateCreated: string, body = 'hi', extra: object = {}) => ({
  type: 'messageSend',
  ...base,
  communicationActionId: id,
  body,
  statusCode: '1',
  dateCreated,
  ...extra,
});
const inbound = (id: string, dateCreated: string, body: string) => ({
  type: 'inboundMessage',
  ...base,
  communicationActionId: id,
  body,
  dateCreated,
});
const status = (id: string, code: string, dateCreated: string) => ({
  type: 'messageStatusUpdate',
  ...base,
  communicationActionId: id,
  statusCode: code,
  dateCreated,
});

const options = exportOptions;

const read = (file: string) => fs.readFileSync(file, 'utf8');
const records = (file: string): Record<string, string>[] =>
  parse(read(file), { columns: true, bom: true });

describe('daily CSV export', () => {
  it('writes the three reports with their columns in order, quoting what needs quoting', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      send('1', '2021-07-02 09:00:00.000', 'Hello, "Zoë" 👋\nline two'),
      inbound('2', '2021-07-02 09:05:00.000', '=HYPERLINK("http://x")'),
      inbound('3', '2021-07-02 09:06:00.000', '+44 7700 900123 is my number'),
      inbound('4', '2021-07-02 09:07:00.000', '-5 degrees'),
      inbound('5', '2021-07-02 09:08:00.000', '@channel\tok'),
      inbound('6', '2021-07-02 09:09:00.000', '\tindented'),
      status('1', '0', '2021-07-02 09:00:05.000'),
      status('1', '2', '2021-07-02 09:00:03.000'),
    ]);
    const out = path.join(dir, 'exports');
    const s = await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2021-07-02'],
    );
    expect(s.failures).toEqual([]);

    expect(read(path.join(out, 'sends', 'sends-2021-07-02.csv'))).toBe(
      'communicationActionId,conversationId,dateCreated,outboundChannelAddress,inboundChannelAddress,customerUID,body,statusCode,latestStatusCode,latestStatusLabel,latestStatusAt,outcome,secondsToDelivery\n' +
        // Delivered at 09:00:05 UTC, 5 s after the send; the earlier 2 (Unavailable) is not final.
        '1,97226,2021-07-02T10:00:00.000+01:00,447700900123,WhatsApp QA Test,,"Hello, ""Zoë"" 👋\nline two",1,0,Delivered,2021-07-02T10:00:05.000+01:00,delivered,5.000\n',
    );
    const inb = records(path.join(out, 'inbound', 'inbound-2021-07-02.csv'));
    expect(inb.map((r) => r.body)).toEqual([
      `'=HYPERLINK("http://x")`,
      `'+44 7700 900123 is my number`,
      `'-5 degrees`,
      `'@channel\tok`,
      `'\tindented`,
    ]);
    expect(Object.keys(inb[0] ?? {})).toEqual([
      'communicationActionId',
      'conversationId',
      'dateCreated',
      'outboundChannelAddress',
      'inboundChannelAddress',
      'customerUID',
      'body',
    ]);
    // Addresses that start with + are never altered.
    expect(inb[0]?.outboundChannelAddress).toBe('447700900123');

    expect(records(path.join(out, 'statuses', 'statuses-2021-07-02.csv'))).toEqual([
      {
        communicationActionId: '1',
        conversationId: '97226',
        dateCreated: '2021-07-02T10:00:03.000+01:00',
        statusCode: '2',
        statusLabel: 'Unavailable',
        outboundChannelAddress: '447700900123',
        inboundChannelAddress: 'WhatsApp QA Test',
        customerUID: '',
      },
      {
        communicationActionId: '1',
        conversationId: '97226',
        dateCreated: '2021-07-02T10:00:05.000+01:00',
        statusCode: '0',
        statusLabel: 'Delivered',
        outboundChannelAddress: '447700900123',
        inboundChannelAddress: 'WhatsApp QA Test',
        customerUID: '',
      },
    ]);
  });

  it('never escapes a plain number, signed or not, and writes C0 controls as U+FFFD', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      send('-1', '2021-07-02 09:00:00.000', 'NUL\u0000, BEL\u0007 and ESC\u001b; tab\tCR\rLF\n', {
        statusCode: '-1',
        outboundChannelAddress: '-447700900123',
        customerUID: '+5',
      }),
      inbound('i1', '2021-07-02 09:01:00.000', '-5'),
      inbound('i2', '2021-07-02 09:02:00.000', '-0.25'),
      inbound('i3', '2021-07-02 09:03:00.000', '-5 degrees'),
      inbound('i4', '2021-07-02 09:04:00.000', '=\u0000SUM(A1)'),
      status('-1', '-1', '2021-07-02 09:00:01.000'),
    ]);
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2021-07-02'],
    );
    const sends = records(path.join(out, 'sends', 'sends-2021-07-02.csv'));
    expect(
      sends.map((r) => [r.communicationActionId, r.outboundChannelAddress, r.customerUID]),
    ).toEqual([['-1', '-447700900123', '+5']]);
    expect([sends[0]?.statusCode, sends[0]?.latestStatusCode]).toEqual(['-1', '-1']);
    // Only tab, CR and LF of the C0 controls stay; the file holds no other control byte.
    expect(sends[0]?.body).toBe('NUL\ufffd, BEL\ufffd and ESC\ufffd; tab\tCR\rLF\n');
    for (const report of ['sends', 'inbound', 'statuses'])
      expect(read(path.join(out, report, `${report}-2021-07-02.csv`))).not.toMatch(
        // eslint-disable-next-line no-control-regex -- control characters are the point
        /[\u0000-\u0008\u000b\u000c\u000e-\u001f]/,
      );
    expect(records(path.join(out, 'inbound', 'inbound-2021-07-02.csv')).map((r) => r.body)).toEqual(
      ['-5', '-0.25', "'-5 degrees", "'=\ufffdSUM(A1)"],
    );
    expect(records(path.join(out, 'statuses', 'statuses-2021-07-02.csv'))[0]?.statusCode).toBe(
      '-1',
    );
  });

  it('escapes nothing when escapeFormulas is off, labels from config win, unknown codes get no label', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      inbound('2', '2021-07-02 09:05:00.000', '=1+1'),
      status('9', '4', '2021-07-02 09:00:00.000'),
      status('9', '99', '2021-07-02 09:01:00.000'),
      status('9', '0', '2021-07-02 09:02:00.000'),
    ]);
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out, {
        escapeFormulas: false,
        labels: mergeLabels({ '4': 'Pending', '0': 'Zugestellt' }),
      }),
      ['2021-07-02'],
    );
    expect(records(path.join(out, 'inbound', 'inbound-2021-07-02.csv'))[0]?.body).toBe('=1+1');
    expect(
      records(path.join(out, 'statuses', 'statuses-2021-07-02.csv')).map((r) => [
        r.statusCode,
        r.statusLabel,
      ]),
    ).toEqual([
      ['4', 'Pending'],
      ['99', ''],
      ['0', 'Zugestellt'],
    ]);
  });

  it('puts rows on their day in Europe/London across the spring-forward and fall-back days', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      send('a', '2021-03-27 23:59:59.999'), // Sat 23:59:59 GMT
      send('b', '2021-03-28 00:00:00.000'), // Sun 00:00 GMT: first instant of the 23-hour day
      send('c', '2021-03-28 22:59:59.999'), // Sun 23:59:59.999 BST: last instant of it
      send('d', '2021-03-28 23:00:00.000'), // Mon 00:00 BST
      send('e', '2021-10-30 23:00:00.000'), // Sun 00:00 BST: first instant of the 25-hour day
      send('f', '2021-10-31 00:30:00.000'), // 01:30 BST
      send('g', '2021-10-31 01:30:00.000'), // 01:30 GMT, the second 01:30
      send('h', '2021-10-31 23:59:59.999'), // 23:59:59.999 GMT
    ]);
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2021-03-27', '2021-03-28', '2021-03-29', '2021-10-31'],
    );
    const rows = (day: string) =>
      records(path.join(out, 'sends', `sends-${day}.csv`)).map(
        (r) => `${r.communicationActionId} ${r.dateCreated}`,
      );
    expect(rows('2021-03-27')).toEqual(['a 2021-03-27T23:59:59.999+00:00']);
    expect(rows('2021-03-28')).toEqual([
      'b 2021-03-28T00:00:00.000+00:00',
      'c 2021-03-28T23:59:59.999+01:00',
    ]);
    expect(rows('2021-03-29')).toEqual(['d 2021-03-29T00:00:00.000+01:00']);
    expect(rows('2021-10-31')).toEqual([
      'e 2021-10-31T00:00:00.000+01:00',
      'f 2021-10-31T01:30:00.000+01:00',
      'g 2021-10-31T01:30:00.000+00:00',
      'h 2021-10-31T23:59:59.999+00:00',
    ]);
  });

  it('reads dateCreated in source.timezone and files it by the export zone day', async () => {
    const { store, dir } = freshStore('UTC');
    // 00:30 in New York on 2 July is 04:30 UTC on 2 July; 22:30 on 1 July is 02:30 UTC on 2 July.
    ingestEvents(
      store,
      [
        inbound('x', '2021-07-01 22:30:00.000', 'late'),
        inbound('y', '2021-07-01 19:59:00.000', 'early'),
      ],
      'America/New_York',
    );
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out, { timeZone: 'UTC' }),
      ['2021-07-01', '2021-07-02'],
    );
    expect(
      records(path.join(out, 'inbound', 'inbound-2021-07-01.csv')).map((r) => [
        r.communicationActionId,
        r.dateCreated,
      ]),
    ).toEqual([['y', '2021-07-01T23:59:00.000+00:00']]);
    expect(
      records(path.join(out, 'inbound', 'inbound-2021-07-02.csv')).map((r) => [
        r.communicationActionId,
        r.dateCreated,
      ]),
    ).toEqual([['x', '2021-07-02T02:30:00.000+00:00']]);
  });

  it('writes header-only files for an empty day, and byte-identical files when nothing changed', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      send('1', '2021-07-02 09:00:00.000', 'x'),
      status('1', '0', '2021-07-02 09:01:00.000'),
    ]);
    const out = path.join(dir, 'exports');
    const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
    await runExport(deps, options(out), ['2021-07-01', '2021-07-02']);
    expect(read(path.join(out, 'inbound', 'inbound-2021-07-01.csv'))).toBe(
      'communicationActionId,conversationId,dateCreated,outboundChannelAddress,inboundChannelAddress,customerUID,body\n',
    );
    const before = ['sends', 'inbound', 'statuses'].map((r) =>
      read(path.join(out, r, `${r}-2021-07-02.csv`)),
    );
    await runExport(deps, options(out), ['2021-07-02']);
    const after = ['sends', 'inbound', 'statuses'].map((r) =>
      read(path.join(out, r, `${r}-2021-07-02.csv`)),
    );
    expect(after).toEqual(before);
    const manifest = JSON.parse(read(path.join(out, 'manifest.json')));
    const entry = manifest.files.find(
      (f: { path: string }) => f.path === 'sends/sends-2021-07-02.csv',
    );
    expect(entry).toMatchObject({
      report: 'sends',
      day: '2021-07-02',
      rows: 1,
      bytes: Buffer.byteLength(before[0] ?? ''),
    });
    expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('exports again the old day of a send whose status arrives days later', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
    ingestEvents(store, [send('1', '2021-07-02 09:00:00.000', 'x')]);
    await runExport(deps, options(out), defaultExportDays(store, Date.now(), 'Europe/London'));
    expect(store.changedDays()).toEqual([]);
    expect(records(path.join(out, 'sends', 'sends-2021-07-02.csv'))[0]?.latestStatusCode).toBe('');

    ingestEvents(store, [status('1', '5', '2021-07-05 08:00:00.000')]);
    expect(store.changedDays()).toEqual(['2021-07-02', '2021-07-05']);
    await runExport(deps, options(out), defaultExportDays(store, Date.now(), 'Europe/London'));
    const row = records(path.join(out, 'sends', 'sends-2021-07-02.csv'))[0];
    expect([row?.latestStatusCode, row?.latestStatusLabel, row?.latestStatusAt]).toEqual([
      '5',
      'Expired',
      '2021-07-05T09:00:00.000+01:00',
    ]);
    expect(records(path.join(out, 'statuses', 'statuses-2021-07-05.csv'))).toHaveLength(1);
  });

  it('keeps the old file when a write fails, reports the path, and leaves the day to export again', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    ingestEvents(store, [send('1', '2021-07-02 09:00:00.000', 'first')]);
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2021-07-02'],
    );
    const file = path.join(out, 'sends', 'sends-2021-07-02.csv');
    const old = read(file);

    ingestEvents(store, [send('2', '2021-07-02 10:00:00.000', 'second')]);
    // The writer dies half-way through, as on a full disk.
    const failing: WriteFile = (target, chunks) =>
      writeFileAtomic(
        target,
        (async function* () {
          for await (const c of chunks) {
            yield c;
            if (target.includes('sends-'))
              throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
          }
        })(),
      );
    const s = await runExport(
      { store, writeFile: failing, clock: Date.now, log: quiet },
      options(out),
      ['2021-07-02'],
    );
    expect(s.failures).toEqual([
      { path: file, error: `could not write ${file}: no space left on device (ENOSPC)` },
    ]);
    expect(read(file)).toBe(old);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['sends-2021-07-02.csv']);
    expect(store.changedDays()).toEqual(['2021-07-02']);
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      store.changedDays(),
    );
    expect(records(file).map((r) => r.body)).toEqual(['first', 'second']);
  });

  it('reports a changed day no export can write, drops it, and writes the other days', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    ingestEvents(store, [send('1', '2021-07-02 09:00:00.000', 'kept')]);
    // What a store from before dates were bounded at ingest could hold: "9999-12-31
    // 23:59:59-23:59" is 10000-01-01 in UTC, and its day was written "+010000-01-01".
    store.markChanged('+010000-01-01', Date.now());
    store.markChanged('1970-01-01', Date.now());
    const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
    const s = await runExport(deps, options(out), store.changedDays());
    expect(s.failures.map((f) => f.path)).toEqual(['+010000-01-01', '1970-01-01']);
    expect(s.failures[0]?.error).toContain('not a calendar day');
    expect(records(path.join(out, 'sends', 'sends-2021-07-02.csv')).map((r) => r.body)).toEqual([
      'kept',
    ]);
    expect(store.changedDays()).toEqual([]);
    // and the next export is clean
    const again = await runExport(deps, options(out), defaultExportDays(store, Date.now(), 'UTC'));
    expect(again.failures).toEqual([]);
  });

  it('writes a UTF-8 BOM when asked', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out, { bom: true }),
      ['2021-07-02'],
    );
    expect(fs.readFileSync(path.join(out, 'sends', 'sends-2021-07-02.csv')).subarray(0, 3)).toEqual(
      Buffer.from([0xef, 0xbb, 0xbf]),
    );
  });
});
