import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { inboundMessage, json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const PHONE = '353861234567';
const SENTENCE = 'please ring Aoife after six';

describe('poison input against a real OpenSSH server', () => {
  it('keeps message text out of logs, status, doctor and quarantine records', async () => {
    const t = setupConfig(sshd);
    const words = `call me on ${PHONE}, ${SENTENCE}`;
    const old = 600; // past parseGraceSeconds (300), so unreadable files are quarantined now
    // Malformed: not JSON, broken JSON, a broken NDJSON line, a bare value.
    dropFile(t.remoteDir, 'text.json', words, old);
    dropFile(t.remoteDir, 'broken.json', `{"type": "inboundMessage", "body": "${words}"`, old);
    dropFile(t.remoteDir, 'ndjson.json', `${JSON.stringify(inboundMessage)}\n${words}\n`, old);
    dropFile(t.remoteDir, 'bare.json', JSON.stringify(words), old);
    // Valid JSON, invalid events: wrong types and impossible dates around the same text.
    dropFile(
      t.remoteDir,
      'invalid.json',
      json([
        { ...messageSend, communicationActionId: { note: words }, body: words },
        { ...inboundMessage, dateCreated: words, body: words },
        { ...messageStatusUpdate, statusCode: [PHONE], outboundChannelAddress: PHONE },
        { ...inboundMessage, dateCreated: '9999-12-31 23:59:59-23:59', body: words },
        { ...messageSend, outboundChannelAddress: { PHONE }, body: words },
      ]),
    );

    const ingest = await runCli(['ingest', '--config', t.configFile]);
    const ingestJson = await runCli(['ingest', '--config', t.configFile, '--json']);
    const status = await runCli(['status', '--config', t.configFile]);
    const statusJson = await runCli(['status', '--config', t.configFile, '--json']);
    const doctor = await runCli(['doctor', '--config', t.configFile, '--json']);
    expect(listDir(t.errorDir)).toEqual([
      'bare.json',
      'broken.json',
      'invalid.json',
      'ndjson.json',
      'text.json',
    ]);
    expect(status.stdout).toContain('quarantine');

    const d = new Database(t.config.database.path, { readonly: true });
    const records = d.prepare('SELECT name, reason, detail FROM quarantine').all();
    d.close();
    expect(records).toHaveLength(5);
    const seen = [ingest, ingestJson, status, statusJson, doctor]
      .flatMap((r) => [r.stdout, r.stderr])
      .concat(JSON.stringify(records));
    for (const text of seen) {
      for (const secret of [PHONE, 'Aoife', 'ring Aoife', 'call me'])
        expect(text).not.toContain(secret);
    }
    // What the operator does learn: where and what kind.
    const byName = Object.fromEntries(
      (records as { name: string; detail: string }[]).map((r) => [path.basename(r.name), r.detail]),
    );
    expect(byName['broken.json']).toMatch(/'}' expected at line 1, column \d+/);
    expect(byName['ndjson.json']).toMatch(
      /line 2 is not JSON: unexpected character at line 1, column 1/,
    );
    expect(byName['invalid.json']).toContain(
      'event 3: inboundMessage dateCreated is more than 7 days',
    );
  });

  it('keeps events whose optional fields are absent, and quarantines impossible dates', async () => {
    const t = setupConfig(sshd);
    const without = (event: Record<string, unknown>, ...keys: string[]) =>
      Object.fromEntries(Object.entries(event).filter(([k]) => !keys.includes(k)));
    const noConversation = without(inboundMessage, 'conversationId');
    const bare = without(messageSend, 'body', 'statusCode');
    dropFile(t.remoteDir, 'inbound.json', json(noConversation));
    dropFile(t.remoteDir, 'send.json', json({ ...bare, customerUID: null }));
    dropFile(
      t.remoteDir,
      'old.json',
      json({ ...messageStatusUpdate, dateCreated: '1999-12-31 23:59:59' }),
    );

    const r = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.newEvents).toEqual({ messageSend: 1, inboundMessage: 1, messageStatusUpdate: 0 });
    expect(s.quarantined.map((q: { file: string }) => path.basename(q.file))).toEqual(['old.json']);

    const d = new Database(t.config.database.path, { readonly: true });
    expect(d.prepare('SELECT conversation_id FROM inbound').all()).toEqual([
      { conversation_id: '' },
    ]);
    expect(d.prepare('SELECT body, status_code, customer_uid FROM sends').all()).toEqual([
      { body: '', status_code: '', customer_uid: '' },
    ]);
    d.close();

    const exp = await runCli(['export', '--config', t.configFile, '--json']);
    expect(exp.code).toBe(0);
  });
  it('prints remote names with terminal escapes as visible escapes, never raw', async () => {
    const t = setupConfig(sshd);
    // Sets the window title, rings the bell, clears the screen; a bidi override reverses text.
    const name = 'x\u001b]0;owned\u0007\u001b[2J\u202eevil.json';
    dropFile(t.remoteDir, name, 'not json', 600);
    const ingest = await runCli(['ingest', '--config', t.configFile]);
    const status = await runCli(['status', '--config', t.configFile]);
    for (const out of [ingest.stdout, ingest.stderr, status.stdout, status.stderr]) {
      // eslint-disable-next-line no-control-regex -- looking for raw control characters
      expect(out).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e]/u);
    }
    const shown = 'x\\x1b]0;owned\\x07\\x1b[2J\\u202eevil.json';
    expect(ingest.stdout).toContain(shown);
    expect(status.stdout).toContain(shown);
    // The file itself is quarantined under its real name.
    expect(listDir(t.errorDir)).toEqual([name]);
  });
  it('quarantines a file with more events than sftp.maxEventsPerFile, default 10,000', async () => {
    const t = setupConfig(sshd);
    const small = (n: number) =>
      JSON.stringify(
        Array.from({ length: n }, (_, i) => ({ type: 'typing', conversationId: String(i) })),
      );
    dropFile(t.remoteDir, 'at-limit.json', small(10_000));
    dropFile(t.remoteDir, 'over-limit.json', small(10_001));
    const r = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.otherEvents).toBe(10_000);
    expect(s.quarantined).toEqual([
      {
        file: 'over-limit.json',
        reason: 'too-many-events',
        detail: '10001 events is over sftp.maxEventsPerFile (10000)',
      },
    ]);
    const tight = setupConfig(sshd, { maxEventsPerFile: 2 });
    dropFile(tight.remoteDir, 'three.json', small(3));
    const r2 = JSON.parse(
      (await runCli(['ingest', '--config', tight.configFile, '--json'])).stdout,
    );
    expect(r2.quarantined[0].reason).toBe('too-many-events');
  });
  it('writes no cell of any report that a spreadsheet would run as a formula', async () => {
    const t = setupConfig(sshd);
    const hostile = {
      conversationId: '=1+1',
      outboundChannelAddress: '=HYPERLINK("http://x","y")',
      inboundChannelAddress: '@SUM(1+1)',
      customerUID: '-2+3',
      dateCreated: '2021-01-28 12:22:15.397',
    };
    dropFile(
      t.remoteDir,
      'all.json',
      json([
        { ...messageSend, ...hostile, communicationActionId: '=A1', body: '+cmd|x' },
        { ...messageStatusUpdate, ...hostile, communicationActionId: '=A1', statusCode: '=2+5' },
        { ...inboundMessage, ...hostile, communicationActionId: '@B2', body: '-1+1' },
        { type: 'setStatus', ...hostile, status: '=cmd' },
      ]),
    );
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const exp = await runCli(['export', '--config', t.configFile, '--date', '2021-01-28']);
    expect(exp.code).toBe(0);
    let cells = 0;
    for (const report of ['sends', 'inbound', 'statuses', 'daily-summary', 'other-events']) {
      const file = path.join(t.config.export.dir, report, `${report}-2021-01-28.csv`);
      const rows = parse(fs.readFileSync(file, 'utf8'), { from_line: 2 }) as string[][];
      expect(rows.length, report).toBeGreaterThan(0);
      for (const cell of rows.flat()) {
        cells++;
        // A leading =, +, -, @, tab or CR is a formula unless the cell is a plain number.
        if (/^[=+\-@\t\r]/.test(cell)) expect(cell, `${report}: ${cell}`).toMatch(/^\+?[0-9]+$/);
      }
    }
    expect(cells).toBeGreaterThan(30);
  });
});
