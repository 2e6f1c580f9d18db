/**
 * Golden tests for the outcome and KPI reports. Every expected value below was worked out by
 * hand from the events in this file, with the reasoning beside it; none was copied from
 * output. Source zone UTC, export zone Europe/London (BST, UTC+1, in July).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/io/files/atomic.js';
import { defaultExportDays, runExport } from '../../src/pipeline/export/run.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { exportOptions } from '../helpers/export-options.js';
import { memoryLog } from '../helpers/log-sink.js';

const quiet = memoryLog();
const WA = 'WhatsApp';

const send = (id: string, ch: string, conv: string, addr: string, at: string) => ({
  type: 'messageSend',
  communicationActionId: id,
  conversationId: conv,
  outboundChannelAddress: addr,
  inboundChannelAddress: ch,
  customerUID: '',
  body: `message ${id}`,
  statusCode: '1',
  dateCreated: at,
});
const status = (id: string, code: string, at: string) => ({
  type: 'messageStatusUpdate',
  communicationActionId: id,
  conversationId: '',
  outboundChannelAddress: '',
  inboundChannelAddress: '',
  customerUID: '',
  statusCode: code,
  dateCreated: at,
});
const inbound = (id: string, ch: string, conv: string, addr: string, at: string, body: string) => ({
  type: 'inboundMessage',
  communicationActionId: id,
  conversationId: conv,
  outboundChannelAddress: addr,
  inboundChannelAddress: ch,
  customerUID: '',
  body,
  dateCreated: at,
});

const D = '2021-07-02';
const t = (time: string, day = D) => `${day} ${time}`;

/** The first poll: everything but the late second wave. */
const firstWave = [
  // WhatsApp
  send('S1', WA, 'c1', 'A', t('09:00:00.000')),
  status('S1', '14', t('09:00:10.000')), // unconfirmed first...
  status('S1', '0', t('09:00:20.000')), // ...then delivered, later: final 0, 20.000 s
  send('S2', WA, 'c2', 'B', t('09:10:00.000')),
  status('S2', '0', t('09:10:03.000')), // delivered...
  status('S2', '2', t('09:10:30.000')), // ...then a failure, later: final 2, failed
  send('S3', WA, 'c3', 'A', t('09:20:00.000')),
  status('S3', '14', t('09:20:05.500')), // three at the same instant:
  status('S3', '1', t('09:20:05.500')), // delivered beats failed beats unconfirmed
  status('S3', '0', t('09:20:05.500')), // final 0, 5.500 s
  send('S4', WA, 'c4', 'C', t('09:30:00.000')),
  // Three at the same instant: failed beats unconfirmed ("4" is unknown, so unconfirmed,
  // though the smallest number); of the failures the smaller as a number wins: 5, not 12
  // (as text "12" < "5").
  status('S4', '12', t('09:30:02.000')),
  status('S4', '4', t('09:30:02.000')),
  status('S4', '5', t('09:30:02.000')),
  send('S5', WA, 'c5', 'D', t('09:40:00.000')),
  status('S5', '77', t('09:40:01.000')), // unknown code: unconfirmed, no label
  send('S6', WA, 'c1', 'A', t('09:50:00.000')), // never gets a status: pending
  status('S99', '0', t('10:00:00.000')), // a status whose send never arrives
  inbound('I1', WA, 'c1', 'A', t('09:05:00.000'), '  Stop  '), // opt-out; replies to S1
  inbound('I2', WA, 'c2', 'B', t('09:12:00.000'), 'stop it please'), // not an opt-out; replies to S2
  inbound('I5', WA, 'c5', 'D', t('09:39:00.000'), 'stopp'), // near miss; before S5: no reply
  // SMS
  send('S7', 'SMS', 'c7', 'E', t('10:00:00.000')),
  status('S7', '0', t('10:00:01.000')), // 1.000 s
  send('S8', 'SMS', 'c8', 'F', t('10:05:00.000')), // its status comes in the second wave
  send('S9', 'SMS', 'c9', 'E', t('10:10:00.000')),
  status('S9', '0', t('10:10:10.000')), // 10.000 s
  inbound('I6', 'SMS', 'c7', 'E', t('10:00:30.000'), 'cancel'), // opt-out; replies to S7
  // Webchat: delivery times of 0 and 1 ms, where rounding half away from zero shows
  send('S10', 'Webchat', 'c10', 'G', t('11:00:00.000')),
  status('S10', '0', t('11:00:00.000')), // 0.000 s
  send('S11', 'Webchat', 'c11', 'G', t('11:01:00.000')),
  status('S11', '0', t('11:01:00.001')), // 0.001 s
  send('S12', 'Webchat', 'c12', 'G', t('11:02:00.000')), // pending
  // A channel with inbound messages only
  inbound('I8', 'Facebook', 'c20', 'H', t('12:00:00.000'), 'END'),
  // Other event types
  {
    type: 'payment',
    communicationActionId: 42,
    conversationId: 'c1',
    outboundChannelAddress: 'A',
    inboundChannelAddress: WA,
    amount: '45.20',
    dateCreated: t('08:00:00.000'),
  },
  { type: 'conversationClosed', conversationId: 'c2' }, // no dateCreated: the day it arrived
  { type: 'setStatus', conversationId: 'c3', status: 'Resolved', dateCreated: 'yesterday' },
];

/** The second poll, days later: the status S8 was waiting for, and replies dated 3 July. */
const secondWave = [
  status('S8', '0', t('10:05:04.000')), // 4.000 s
  // Exactly 24 h after S3 (09:20:00.000): "at most 24 h after" counts it. Opt-out.
  inbound('I3', WA, 'c3', 'A', t('09:20:00.000', '2021-07-03'), 'UNSUBSCRIBE\n'),
  // 24 h and 1 ms after S4: too late to count as its reply. Opt-out.
  inbound('I4', WA, 'c4', 'C', t('09:30:00.001', '2021-07-03'), 'Quit'),
];

const options = exportOptions;

const HEADER =
  'date,inboundChannelAddress,sent,delivered,failed,unconfirmed,pending,deliveryRate,medianSecondsToDelivery,p95SecondsToDelivery,inbound,optOuts,replied,customers,conversations';

const csvRows = (file: string): Record<string, string>[] =>
  parse(fs.readFileSync(file, 'utf8'), { columns: true });

describe('outcome and KPI reports (golden)', () => {
  it('gives every send its outcome and every channel its day, and restates both when late events arrive', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    const deps = { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet };
    const firstPollAt = Date.UTC(2021, 6, 2, 15, 0); // 16:00 BST on 2 July
    ingestEvents(store, firstWave, 'UTC', firstPollAt);
    await runExport(deps, options(out), defaultExportDays(store, firstPollAt, 'Europe/London'));
    const summaryFile = path.join(out, 'daily-summary', `daily-summary-${D}.csv`);

    // Before the second wave, SMS has S7 (1 s) and S9 (10 s) delivered, S8 pending:
    // rate 2/3 = 0.66666… → 0.6667; median of [1000, 10000] ms at position 0.5 = 5500 ms;
    // p95 at position 0.95: 1000 + 0.95 × 9000 = 9550 ms. Replies on WhatsApp: S1 (I1), S2 (I2).
    expect(fs.readFileSync(summaryFile, 'utf8')).toBe(
      [
        HEADER,
        '2021-07-02,Facebook,0,0,0,0,0,,,,1,1,0,1,1',
        '2021-07-02,SMS,3,2,0,0,1,0.6667,5.500,9.550,1,1,1,2,3',
        '2021-07-02,Webchat,3,2,0,0,1,0.6667,0.001,0.001,0,0,0,1,3',
        '2021-07-02,WhatsApp,6,2,2,1,1,0.3333,12.750,19.275,3,1,2,4,5',
        '',
      ].join('\n'),
    );

    const secondPollAt = Date.UTC(2021, 6, 5, 9, 0);
    ingestEvents(store, secondWave, 'UTC', secondPollAt);
    // S8's status and I3 (a reply to S3, sent on 2 July) both change 2 July; I3 and I4 are on 3 July.
    expect(store.changedDays()).toEqual(['2021-07-02', '2021-07-03']);
    await runExport(deps, options(out), defaultExportDays(store, secondPollAt, 'Europe/London'));

    // Rows sort by channel as bytes: "Facebook" < "SMS" < "Webchat" < "WhatsApp" ('e' < 'h').
    //
    // Facebook: no sends, so rate and delivery times are empty; I8 "END" is an opt-out.
    // SMS: S7, S8, S9 all delivered now: 3/3 = 1.0000; times [1000, 4000, 10000] ms:
    //   median at position 1 = 4000 → 4.000; p95 at 0.95 × 2 = 1.9: 4000 + 0.9 × 6000 = 9400
    //   → 9.400. I6 "cancel" is an opt-out and replies to S7 (30 s later, same conversation).
    //   Customers E, F (E twice) = 2; conversations c7, c8, c9 = 3.
    // Webchat: S10, S11 delivered, S12 pending: 2/3 → 0.6667. Times [0, 1] ms: the median
    //   0.5 ms and the p95 0.95 ms both round half away from zero to 1 ms → 0.001.
    //   Customer G = 1; conversations c10, c11, c12 = 3.
    // WhatsApp: S1..S6 = 6 sent; delivered S1, S3 = 2; failed S2, S4 = 2; unconfirmed S5 = 1;
    //   pending S6 = 1. Rate 2/6 = 0.33333… → 0.3333. Times [5500, 20000] ms: median at 0.5 =
    //   12750 → 12.750; p95 at 0.95: 5500 + 0.95 × 14500 = 19275 → 19.275. Inbound that day:
    //   I1, I2, I5 = 3; opt-outs: only I1 ("  Stop  "; "stop it please" and "stopp" are not).
    //   Replied: S1 (I1), S2 (I2), S3 (I3, exactly 24 h later) = 3; S4's I4 is 1 ms too late,
    //   S5's I5 came before it, S6 (09:50) has nothing after it in c1.
    //   Customers A, B, C, D = 4; conversations c1..c5 = 5.
    expect(fs.readFileSync(summaryFile, 'utf8')).toBe(
      [
        HEADER,
        '2021-07-02,Facebook,0,0,0,0,0,,,,1,1,0,1,1',
        '2021-07-02,SMS,3,3,0,0,0,1.0000,4.000,9.400,1,1,1,2,3',
        '2021-07-02,Webchat,3,2,0,0,1,0.6667,0.001,0.001,0,0,0,1,3',
        '2021-07-02,WhatsApp,6,2,2,1,1,0.3333,12.750,19.275,3,1,3,4,5',
        '',
      ].join('\n'),
    );
    // 3 July: only I3 and I4 (both opt-outs), customers A and C, conversations c3 and c4.
    expect(
      fs.readFileSync(path.join(out, 'daily-summary', 'daily-summary-2021-07-03.csv'), 'utf8'),
    ).toBe([HEADER, '2021-07-03,WhatsApp,0,0,0,0,0,,,,2,2,0,2,2', ''].join('\n'));

    const sends = csvRows(path.join(out, 'sends', `sends-${D}.csv`)).map((r) =>
      [
        r.communicationActionId,
        r.latestStatusCode,
        r.latestStatusLabel,
        r.latestStatusAt,
        r.outcome,
        r.secondsToDelivery,
      ].join('|'),
    );
    expect(sends).toEqual([
      'S1|0|Delivered|2021-07-02T10:00:20.000+01:00|delivered|20.000',
      'S2|2|Unavailable|2021-07-02T10:10:30.000+01:00|failed|',
      'S3|0|Delivered|2021-07-02T10:20:05.500+01:00|delivered|5.500',
      'S4|5|Expired|2021-07-02T10:30:02.000+01:00|failed|',
      'S5|77||2021-07-02T10:40:01.000+01:00|unconfirmed|',
      'S6||||pending|',
      'S7|0|Delivered|2021-07-02T11:00:01.000+01:00|delivered|1.000',
      'S8|0|Delivered|2021-07-02T11:05:04.000+01:00|delivered|4.000',
      'S9|0|Delivered|2021-07-02T11:10:10.000+01:00|delivered|10.000',
      'S10|0|Delivered|2021-07-02T12:00:00.000+01:00|delivered|0.000',
      'S11|0|Delivered|2021-07-02T12:01:00.001+01:00|delivered|0.001',
      'S12||||pending|',
    ]);
    // The orphan status is reported as a status, and counts in no send's outcome.
    expect(
      csvRows(path.join(out, 'statuses', `statuses-${D}.csv`))
        .filter((r) => r.communicationActionId === 'S99')
        .map((r) => r.statusLabel),
    ).toEqual(['Delivered']);

    // Other events: the payment on its dateCreated (08:00 UTC = 09:00 BST); the two without a
    // readable date on the day they arrived (16:00 BST), ordered by type. Absent fields are
    // empty; an unreadable dateCreated is shown as sent; the payload is the event's JSON.
    expect(csvRows(path.join(out, 'other-events', `other-events-${D}.csv`))).toEqual([
      {
        type: 'payment',
        communicationActionId: '42',
        conversationId: 'c1',
        dateCreated: '2021-07-02T09:00:00.000+01:00',
        outboundChannelAddress: 'A',
        inboundChannelAddress: WA,
        payload:
          '{"amount":"45.20","communicationActionId":42,"conversationId":"c1","dateCreated":"2021-07-02 08:00:00.000","inboundChannelAddress":"WhatsApp","outboundChannelAddress":"A","type":"payment"}',
      },
      {
        type: 'conversationClosed',
        communicationActionId: '',
        conversationId: 'c2',
        dateCreated: '',
        outboundChannelAddress: '',
        inboundChannelAddress: '',
        payload: '{"conversationId":"c2","type":"conversationClosed"}',
      },
      {
        type: 'setStatus',
        communicationActionId: '',
        conversationId: 'c3',
        dateCreated: 'yesterday',
        outboundChannelAddress: '',
        inboundChannelAddress: '',
        payload:
          '{"conversationId":"c3","dateCreated":"yesterday","status":"Resolved","type":"setStatus"}',
      },
    ]);

    // The manifest records the restated files' new checksums.
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const entry = manifest.files.find(
      (f: { path: string }) => f.path === `daily-summary/daily-summary-${D}.csv`,
    );
    expect(entry.sha256).toBe(
      createHash('sha256').update(fs.readFileSync(summaryFile)).digest('hex'),
    );
  });

  it('re-running an export with no new data changes no byte and touches no file', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    let now = Date.UTC(2021, 6, 2, 15, 0);
    const deps = { store, writeFile: writeFileAtomic, clock: () => now, log: quiet };
    ingestEvents(store, firstWave, 'UTC', now);
    await runExport(deps, options(out), [D, '2021-07-03']);
    const snapshot = () =>
      fs
        .readdirSync(out, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => {
          const p = path.join(e.parentPath, e.name);
          const sha = createHash('sha256').update(fs.readFileSync(p)).digest('hex');
          return `${p} ${fs.statSync(p).mtimeMs} ${sha}`;
        })
        .sort();
    const before = snapshot();
    expect(before).toHaveLength(12); // 5 reports × 2 days + manifest.json + datapackage.json
    now += 3600_000;
    const again = await runExport(deps, options(out), [D, '2021-07-03']);
    expect(again.files.every((f) => f.unchanged)).toBe(true);
    expect(snapshot()).toEqual(before);
  });

  it('counts a 25-hour and a 23-hour day in Europe/London, and measures delivery in elapsed time', async () => {
    const { store, dir } = freshStore();
    const out = path.join(dir, 'exports');
    ingestEvents(store, [
      // 31 Oct 2021 runs from 2021-10-30 23:00 UTC (00:00 BST) to 2021-11-01 00:00 UTC.
      send('a', 'SMS', 'k1', 'P', '2021-10-30 22:59:59.999'), // 23:59:59.999 BST on the 30th
      send('b', 'SMS', 'k2', 'P', '2021-10-30 23:00:00.000'), // first instant of the 31st
      send('c', 'SMS', 'k3', 'Q', '2021-10-31 00:30:00.000'), // 01:30 BST
      // 01:30 GMT: the wall clock shows the same 01:30, yet 3600 s have passed.
      status('c', '0', '2021-10-31 01:30:00.000'),
      send('d', 'SMS', 'k4', 'Q', '2021-10-31 23:59:59.999'), // last instant of the 31st
      // 28 Mar 2021 runs from 2021-03-28 00:00 UTC to 2021-03-28 23:00 UTC (23 hours).
      send('e', 'SMS', 'k5', 'R', '2021-03-28 00:00:00.000'),
      send('f', 'SMS', 'k6', 'R', '2021-03-28 22:59:59.999'),
      send('g', 'SMS', 'k7', 'R', '2021-03-28 23:00:00.000'), // 00:00 BST on the 29th
    ]);
    await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options(out),
      ['2021-10-31', '2021-03-28'],
    );
    const summary = (day: string) =>
      fs.readFileSync(path.join(out, 'daily-summary', `daily-summary-${day}.csv`), 'utf8');
    // 31 Oct: b, c, d (a is on the 30th). c delivered after 3600 s; b, d pending.
    // Rate 1/3 → 0.3333; one delivered value: median = p95 = 3600.000.
    expect(summary('2021-10-31')).toBe(
      `${HEADER}\n2021-10-31,SMS,3,1,0,0,2,0.3333,3600.000,3600.000,0,0,0,2,3\n`,
    );
    // 28 Mar: e and f (g is on the 29th), customer R, conversations k5 and k6.
    expect(summary('2021-03-28')).toBe(`${HEADER}\n2021-03-28,SMS,2,0,0,0,2,0.0000,,,0,0,0,1,2\n`);
    expect(
      csvRows(path.join(out, 'sends', 'sends-2021-10-31.csv')).map(
        (r) => `${r.communicationActionId} ${r.outcome} ${r.secondsToDelivery}`,
      ),
    ).toEqual(['b pending ', 'c delivered 3600.000', 'd pending ']);
  });
});
