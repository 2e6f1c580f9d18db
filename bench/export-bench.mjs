// npm run bench:export [-- ROWS]: exports all five reports of one day of ROWS sends (default
// 1,000,000; a third with a delivery status, a fifth with a second one; one inbound message per
// four sends; a few other events) and prints each report's time in one thread, then the
// wall time of one export of the three raw reports, of all five as the CLI runs it (reports
// side by side in worker threads), and of all five with export.formats ["csv", "parquet"].
// Compares the three raw reports' export with `sqlite3 -csv` dumping the same rows, the daily
// summary's cost with them, and CSV+Parquet with CSV only (time and peak RSS).
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../dist/bench-entry.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DAY = '2021-07-02';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webio-export-bench-'));
// BENCH_DB=FILE keeps the seeded store there and reuses it on the next run (same ROWS).
const dbPath = process.env.BENCH_DB ?? path.join(dir, 'bench.sqlite');

function seed() {
  const store = new SqliteStore({
    path: dbPath,
    busyTimeoutMs: 1000,
    exportTimeZone: 'Europe/London',
  });
  const start = Date.UTC(2021, 6, 1, 23, 0); // 00:00 BST on DAY
  const step = (24 * 3600_000) / ROWS;
  const channels = ['WhatsApp Support', 'SMS Billing', 'WhatsApp QA Test', 'Webchat – Sales'];
  const replies = ['STOP', 'Yes please', ' stop ', 'Thanks!', 'Can you call me back?'];
  const bodies = [
    'Your order #12345 has shipped.',
    'Hi Zoë, reply "YES" to confirm, NO to cancel.',
    'Opening hours:\nMon–Fri 9:00–17:30',
    '=not a formula',
    'Danke für Ihre Nachricht – wir melden uns. 😊',
  ];
  const batch = 20_000;
  for (let i = 0; i < ROWS; i += batch) {
    const events = [];
    for (let j = i; j < Math.min(ROWS, i + batch); j++) {
      const ms = Math.floor(start + j * step);
      const m = {
        type: 'messageSend',
        communicationActionId: String(1_000_000 + j),
        conversationId: String(90_000 + (j % 5000)),
        outboundChannelAddress: `4477${String(10_000_000 + (j % 89_999_999))}`,
        inboundChannelAddress: channels[j % channels.length],
        customerUID: j % 3 ? '' : `CUST-${j}`,
        body: bodies[j % bodies.length],
        statusCode: '1',
        dateCreated: new Date(ms).toISOString().replace('T', ' ').slice(0, 23),
        dateMs: ms,
      };
      events.push({ type: m.type, payload: JSON.stringify(m), message: m });
      if (j % 3 === 0) {
        const s = {
          ...m,
          type: 'messageStatusUpdate',
          statusCode: String(j % 6),
          body: '',
          dateMs: ms,
          dateCreated: new Date(ms).toISOString().replace('T', ' ').slice(0, 23),
        };
        events.push({ type: s.type, payload: JSON.stringify(s), message: s });
      }
      if (j % 5 === 0) {
        // A second, later delivery report: the final status must be chosen among several.
        const later = ms + 2000 + (j % 7000);
        const s = {
          ...m,
          type: 'messageStatusUpdate',
          statusCode: j % 10 === 0 ? '0' : '14',
          body: '',
          dateMs: later,
          dateCreated: new Date(later).toISOString().replace('T', ' ').slice(0, 23),
        };
        events.push({ type: s.type, payload: JSON.stringify(s), message: s });
      }
      if (j % 4 === 0) {
        const later = ms + 60_000 + (j % 50_000);
        const r = {
          ...m,
          type: 'inboundMessage',
          communicationActionId: `in-${j}`,
          body: replies[j % replies.length],
          statusCode: '',
          dateMs: later,
          dateCreated: new Date(later).toISOString().replace('T', ' ').slice(0, 23),
        };
        events.push({ type: r.type, payload: JSON.stringify(r), message: r });
      }
      if (j % 1000 === 0) {
        const o = { type: 'conversationClosed', conversationId: m.conversationId, n: j };
        events.push({ type: o.type, payload: JSON.stringify(o), dateMs: ms });
      }
    }
    store.commitBatch(
      [
        {
          kind: 'ingest',
          file: { name: `b${i}`, remotePath: `/b${i}`, size: 0, mtimeMs: 0, contentHash: `b${i}` },
          events,
        },
      ],
      Date.now(),
    );
  }
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.env.BENCH_DB && fs.existsSync(dbPath)) console.log(`reusing ${dbPath}`);
else {
  console.log(`seeding ${ROWS.toLocaleString('en')} sends into ${dbPath} ...`);
  seed();
}
const hasSqlite = spawnSync('sqlite3', ['--version']).status === 0;
const SQL = `SELECT s.communication_action_id, s.conversation_id, s.date_ms, s.outbound_channel_address, s.inbound_channel_address, s.customer_uid, s.body, s.status_code, st.status_code, st.date_ms FROM sends s LEFT JOIN statuses st ON st.rowid = (SELECT rowid FROM statuses x WHERE x.communication_action_id = s.communication_action_id ORDER BY x.date_ms DESC, x.status_code LIMIT 1) ORDER BY s.date_ms, s.communication_action_id; SELECT communication_action_id, conversation_id, date_ms, outbound_channel_address, inbound_channel_address, customer_uid, body FROM inbound ORDER BY date_ms, communication_action_id; SELECT communication_action_id, conversation_id, date_ms, status_code, outbound_channel_address, inbound_channel_address, customer_uid FROM statuses ORDER BY date_ms, communication_action_id, status_code;`;
const RAW = ['sends', 'inbound', 'statuses'];
const runs = [];
const raws = [];
const alls = [];
const parquets = [];
const theirs = [];
const rssOf = {};
let bytes = {};
let threads = 1;
const child = (mode, out) => {
  const res = JSON.parse(
    execFileSync(process.execPath, [path.join(here, 'export-child.mjs'), dbPath, out, DAY, mode], {
      encoding: 'utf8',
    }),
  );
  if (res.failures || res.reports.sends.rows !== ROWS)
    throw new Error(`export wrote ${res.reports.sends.rows} sends, ${res.failures} failures`);
  rssOf[mode] = Math.max(rssOf[mode] ?? 0, res.maxRssMB);
  if (res.reports.bytes) bytes = res.reports.bytes;
  fs.rmSync(out, { recursive: true, force: true });
  return res.reports;
};
for (let r = 0; r < ROUNDS; r++) {
  runs.push(child('each', path.join(dir, `each-${r}`)));
  const raw = child('raw', path.join(dir, `raw-${r}`));
  raws.push(raw.wall.seconds);
  threads = raw.wall.threads;
  alls.push(child('all', path.join(dir, `all-${r}`)).wall.seconds);
  parquets.push(child('parquet', path.join(dir, `parquet-${r}`)).wall.seconds);
  if (hasSqlite) {
    const t0 = process.hrtime.bigint();
    const fd = fs.openSync(path.join(dir, 'sqlite3.csv'), 'w');
    const s = spawnSync('sqlite3', ['-csv', '-header', dbPath, SQL], {
      stdio: ['ignore', fd, 'inherit'],
    });
    fs.closeSync(fd);
    if (s.status !== 0) throw new Error('sqlite3 failed');
    theirs.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
}
const med = (name) => median(runs.map((r) => r[name].seconds));
const names = Object.keys(runs[0]);
const rawSeconds = median(runs.map((r) => RAW.reduce((a, n) => a + r[n].seconds, 0)));
const rawRows = RAW.reduce((a, n) => a + runs[0][n].rows, 0);
console.log(
  `\nexport of one day of ${ROWS.toLocaleString('en')} sends, median of ${ROUNDS} rounds; each report alone, in one thread:`,
);
console.log('report              rows   seconds     rows/s');
for (const n of names) {
  const rows = runs[0][n].rows;
  console.log(
    `${n.padEnd(15)} ${rows.toLocaleString('en').padStart(9)} ${med(n).toFixed(3).padStart(9)} ${Math.round(
      rows / med(n),
    )
      .toLocaleString('en')
      .padStart(10)}`,
  );
}
const withSummary = median(
  runs.map((r) => RAW.reduce((a, n) => a + r[n].seconds, 0) + r['daily-summary'].seconds),
);
console.log(
  `daily-summary adds ${((withSummary / rawSeconds - 1) * 100).toFixed(1)}% to the three raw reports, each in one thread (target <= 25%)`,
);
const all = median(alls);
const raw = median(raws);
const plural = threads > 1 ? 's' : '';
console.log(
  `one export of all five (${threads} thread${plural}): ${all.toFixed(3)} s, ${((all / raw - 1) * 100).toFixed(1)}% over one of the three raw reports; peak RSS ${rssOf.all.toFixed(0)} MB (target < 200 MB)`,
);
const pq = median(parquets);
console.log(
  `one export of all five as CSV and Parquet (${threads} thread${plural}): ${pq.toFixed(3)} s, ${(pq / all).toFixed(2)}x CSV only (target <= 1.6); peak RSS ${rssOf.parquet.toFixed(0)} MB (target < 256 MB); CSV ${(bytes.csv / 1e6).toFixed(1)} MB, Parquet ${(bytes.parquet / 1e6).toFixed(1)} MB`,
);
if (hasSqlite) {
  const t = median(theirs);
  console.log(
    `three raw reports in one export (${threads} thread${plural}): ${raw.toFixed(3)} s (${Math.round(rawRows / raw).toLocaleString('en')} rows/s); sqlite3 -csv ${t.toFixed(3)} s (${Math.round(rawRows / t).toLocaleString('en')} rows/s)`,
  );
  console.log(`ratio ours/sqlite3 speed: ${(t / raw).toFixed(2)} (target >= 0.5)`);
} else {
  console.log(
    `three raw reports in one export: ${raw.toFixed(3)} s; sqlite3 not installed (apt-get install -y sqlite3): no reference figure`,
  );
}
fs.rmSync(dir, { recursive: true, force: true });
