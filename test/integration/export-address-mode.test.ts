import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { mergeLabels } from '../../src/core/status-labels.js';
import { DEFAULT_OPT_OUT_WORDS, DEFAULT_STATUS_CLASSES } from '../../src/core/outcomes.js';
import { writeFileAtomic } from '../../src/io/files/atomic.js';
import type { ExportOptions } from '../../src/pipeline/export/options.js';
import { runExport } from '../../src/pipeline/export/run.js';
import { freshStore, ingestEvents } from '../helpers/store.js';
import { memoryLog } from '../helpers/log-sink.js';

const quiet = memoryLog();
const KEY = 'a-secret-of-sixteen+';
const base = {
  conversationId: 'c1',
  inboundChannelAddress: 'SMS',
  customerUID: '',
  dateCreated: '2021-07-02 09:00:00.000',
};
const events = [
  {
    ...base,
    type: 'messageSend',
    communicationActionId: 's1',
    outboundChannelAddress: '+447700900123',
    body: 'hi',
    statusCode: '1',
  },
  {
    ...base,
    type: 'messageSend',
    communicationActionId: 's2',
    outboundChannelAddress: '+447700900999',
    body: 'hi',
    statusCode: '1',
  },
  {
    ...base,
    type: 'inboundMessage',
    communicationActionId: 'i1',
    outboundChannelAddress: '+447700900123',
    body: 'STOP',
  },
  { ...base, type: 'payment', outboundChannelAddress: '+447700900123', amount: '1.00' },
];

async function exportWith(mode: ExportOptions['addressMode']) {
  const { store, dir } = freshStore('UTC');
  ingestEvents(store, events);
  const out = path.join(dir, 'out');
  await runExport(
    { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
    {
      dir: out,
      bom: false,
      timeZone: 'UTC',
      labels: mergeLabels({}),
      escapeFormulas: true,
      classes: DEFAULT_STATUS_CLASSES,
      optOutWords: DEFAULT_OPT_OUT_WORDS,
      ...(mode !== undefined ? { addressMode: mode } : {}),
      hashKey: KEY,
    },
    ['2021-07-02'],
  );
  const read = (r: string) =>
    parse(fs.readFileSync(path.join(out, r, `${r}-2021-07-02.csv`)), { columns: true }) as Record<
      string,
      string
    >[];
  const raw = fs
    .readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');
  return { read, raw };
}

describe('export.addressMode', () => {
  it('hash: the same address always gives the same HMAC, no file holds the number, counts use the real addresses', async () => {
    const { read, raw } = await exportWith('hash');
    const h = (a: string) => createHmac('sha256', KEY).update(a).digest('hex');
    expect(read('sends').map((r) => r.outboundChannelAddress)).toEqual([
      h('+447700900123'),
      h('+447700900999'),
    ]);
    expect(read('inbound')[0]?.outboundChannelAddress).toBe(h('+447700900123'));
    const other = read('other-events')[0];
    expect(other?.outboundChannelAddress).toBe(h('+447700900123'));
    expect(JSON.parse(other?.payload ?? '{}').outboundChannelAddress).toBe(h('+447700900123'));
    expect(raw).not.toContain('7700900');
    // Two customers (…123 and …999) that day on SMS, counted on the real addresses.
    expect(read('daily-summary')[0]).toMatchObject({ customers: '2', optOuts: '1' });
  });

  it('mask: all but the last 4 characters become *', async () => {
    const { read, raw } = await exportWith('mask');
    // "+447700900123" has 13 characters: 9 stars, then "0123".
    expect(read('sends').map((r) => r.outboundChannelAddress)).toEqual([
      '*********0123',
      '*********0999',
    ]);
    expect(raw).not.toContain('7700900');
  });

  it('refuses "hash" without a key of at least 16 characters', () => {
    const raw = {
      sftp: { username: 'u', password: 'p', hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` },
      export: { addressMode: 'hash' },
    };
    expect(() => validateConfig(raw, {}, 'c.json')).toThrow(
      /export\.addressMode: "hash" needs a secret key of at least 16 characters in env WEBIO_REPORTS_HASH_KEY \(not set\)/,
    );
    expect(() => validateConfig(raw, { WEBIO_REPORTS_HASH_KEY: 'short' }, 'c.json')).toThrow(
      /too short/,
    );
    const ok = validateConfig(raw, { WEBIO_REPORTS_HASH_KEY: KEY }, 'c.json');
    expect(ok.export.hashKey).toBe(KEY);
  });
});
