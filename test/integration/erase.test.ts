import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { json } from '../fixtures/webio.js';
import { dropFile, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const X = '447700900123'; // the customer who asks to be erased
const Y = '447700900999'; // another customer, who must be untouched
const common = { inboundChannelAddress: 'SMS', customerUID: '' };

/** Every CSV under a folder, as text. */
const allCsv = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.csv'))
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');

describe('erase', () => {
  it('removes a customer from the store, ledger, quarantine and CSVs, leaving no byte of the number on disk', async () => {
    const t = setupConfig(sshd);
    const events = [
      {
        ...common,
        type: 'messageSend',
        communicationActionId: 'sx',
        conversationId: 'cx',
        outboundChannelAddress: `+${X}`,
        body: 'Hi X',
        statusCode: '1',
        dateCreated: '2021-07-02 09:00:00.000',
      },
      // Its delivery report carries no address and falls on the next day: still erased.
      {
        ...common,
        type: 'messageStatusUpdate',
        communicationActionId: 'sx',
        conversationId: 'cx',
        outboundChannelAddress: '',
        statusCode: '0',
        dateCreated: '2021-07-03 00:30:00.000',
      },
      // The same customer written without the +: digits compare.
      {
        ...common,
        type: 'inboundMessage',
        communicationActionId: 'ix',
        conversationId: 'cx',
        outboundChannelAddress: X,
        body: 'STOP',
        dateCreated: '2021-07-02 09:05:00.000',
      },
      {
        ...common,
        type: 'payment',
        conversationId: 'cx',
        outboundChannelAddress: `+${X}`,
        amount: '9.99',
        dateCreated: '2021-07-02 10:00:00.000',
      },
      {
        ...common,
        type: 'messageSend',
        communicationActionId: 'sy',
        conversationId: 'cy',
        outboundChannelAddress: `+${Y}`,
        body: 'Hi Y',
        statusCode: '1',
        dateCreated: '2021-07-02 11:00:00.000',
      },
      {
        ...common,
        type: 'inboundMessage',
        communicationActionId: 'iy',
        conversationId: 'cy',
        outboundChannelAddress: `+${Y}`,
        body: 'yes',
        dateCreated: '2021-07-02 11:05:00.000',
      },
    ];
    events.forEach((e, i) => dropFile(t.remoteDir, `e${i}.json`, json(e)));
    // Two unreadable files: one holds X's number, one Y's.
    dropFile(t.remoteDir, 'broken-x.json', `{"outboundChannelAddress": "+${X}", "body": "cut`, 600);
    dropFile(t.remoteDir, 'broken-y.json', `{"outboundChannelAddress": "+${Y}", "body": "cut`, 600);
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const exp = ['export', '--config', t.configFile, '--from', '2021-07-02', '--to', '2021-07-03'];
    expect((await runCli(exp)).code).toBe(0);
    const csvBefore = allCsv(t.config.export.dir);
    expect(csvBefore).toContain(X);
    const ySendRow = csvBefore.split('\n').find((l) => l.startsWith('sy,'));
    expect(ySendRow).toContain(Y);

    const dry = await runCli([
      'erase',
      '--config',
      t.configFile,
      '--address',
      `+44 7700 900123`,
      '--dry-run',
      '--json',
    ]);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({
      dryRun: true,
      counts: { sends: 1, inbound: 1, statuses: 1, rawEvents: 4, quarantined: 1 },
      days: ['2021-07-02', '2021-07-03'],
    });
    expect(allCsv(t.config.export.dir)).toBe(csvBefore);

    // An idle reader keeps the -wal and -shm files in place, so their bytes can be read after.
    const reader = new Database(t.config.database.path, { readonly: true });
    try {
      const r = await runCli(['erase', '--config', t.configFile, '--address', `0044 7700 900123`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toContain(X);

      const csvAfter = allCsv(t.config.export.dir);
      expect(csvAfter).not.toContain('7700900123');
      expect(csvAfter.split('\n').find((l) => l.startsWith('sy,'))).toBe(ySendRow);
      for (const suffix of ['', '-wal', '-shm']) {
        const file = `${t.config.database.path}${suffix}`;
        if (!fs.existsSync(file)) continue;
        const bytes = fs.readFileSync(file);
        expect(bytes.includes(Buffer.from('7700900123')), `${file} holds the number`).toBe(false);
        if (suffix === '') expect(bytes.includes(Buffer.from(Y))).toBe(true);
      }
    } finally {
      reader.close();
    }

    const db = new Database(t.config.database.path, { readonly: true });
    const erasures = db.prepare('SELECT counts, days FROM erasures').all() as {
      counts: string;
      days: string;
    }[];
    const quarantine = db
      .prepare('SELECT name, length(content) AS n FROM quarantine ORDER BY name')
      .all();
    const sends = db.prepare('SELECT communication_action_id AS id FROM sends').all();
    db.close();
    expect(erasures).toHaveLength(1);
    expect(JSON.parse(erasures[0]?.counts ?? '')).toEqual({
      sends: 1,
      inbound: 1,
      statuses: 1,
      rawEvents: 4,
      quarantined: 1,
    });
    expect(JSON.parse(erasures[0]?.days ?? '')).toEqual(['2021-07-02', '2021-07-03']);
    expect(JSON.stringify(erasures)).not.toContain('7700900');
    expect(sends).toEqual([{ id: 'sy' }]);
    expect(quarantine).toEqual([
      { name: 'broken-x.json', n: 0 },
      {
        name: 'broken-y.json',
        n: Buffer.byteLength(`{"outboundChannelAddress": "+${Y}", "body": "cut`),
      },
    ]);
  });
});
