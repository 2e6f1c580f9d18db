// npm run bench:export [-- ROWS]: exports one day of ROWS sends (default 1,000,000, a third
// with a delivery status) and compares with `sqlite3 -csv` dumping the same rows.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../dist/io/sqlite-store.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DAY = '2021-07-02';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'webio-export-bench-'));
const dbPath = path.join(dir, 'bench.sqlite');

function seed() {
  const store = new SqliteStore({
    path: dbPath,
    busyTimeoutMs: 1000,
    exportTimeZone: 'Europe/London',
  });
  const start = Date.UTC(2021, 6, 1, 23, 0); // 00:00 BST on DAY
  const step = (24 * 3600_000) / ROWS;
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
        inboundChannelAddress: 'WhatsApp Support',
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

console.log(`seeding ${ROWS.toLocaleString('en')} sends into ${dbPath} ...`);
seed();
const hasSqlite = spawnSync('sqlite3', ['--version']).status === 0;
const SQL = `SELECT s.communication_action_id, s.conversation_id, s.date_ms, s.outbound_channel_address, s.inbound_channel_address, s.customer_uid, s.body, s.status_code, st.status_code, st.date_ms FROM sends s LEFT JOIN statuses st ON st.rowid = (SELECT rowid FROM statuses x WHERE x.communication_action_id = s.communication_action_id ORDER BY x.date_ms DESC, x.status_code DESC LIMIT 1) ORDER BY s.date_ms, s.communication_action_id; SELECT communication_action_id, conversation_id, date_ms, status_code, outbound_channel_address, inbound_channel_address, customer_uid FROM statuses ORDER BY date_ms, communication_action_id, status_code;`;
const TOTAL = ROWS + Math.ceil(ROWS / 3);
const ours = [];
const theirs = [];
let rss = 0;
for (let r = 0; r < ROUNDS; r++) {
  const out = path.join(dir, `out-${r}`);
  const res = JSON.parse(
    execFileSync(process.execPath, [path.join(here, 'export-child.mjs'), dbPath, out, DAY], {
      encoding: 'utf8',
    }),
  );
  if (res.rows !== TOTAL || res.failures)
    throw new Error(`export wrote ${res.rows} rows, ${res.failures} failures`);
  ours.push(res.seconds);
  rss = Math.max(rss, res.maxRssMB);
  fs.rmSync(out, { recursive: true, force: true });
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
const oursS = median(ours);
console.log(
  `\nexport of one day: ${ROWS.toLocaleString('en')} sends (with latest status) + ${(TOTAL - ROWS).toLocaleString('en')} statuses = ${TOTAL.toLocaleString('en')} rows, median of ${ROUNDS} rounds`,
);
console.log('tool                 seconds     rows/s   peak RSS');
console.log(
  `webio-reports export ${oursS.toFixed(3).padStart(7)} ${Math.round(TOTAL / oursS)
    .toLocaleString('en')
    .padStart(10)}   ${rss.toFixed(0)} MB`,
);
if (hasSqlite) {
  const t = median(theirs);
  console.log(
    `sqlite3 -csv         ${t.toFixed(3).padStart(7)} ${Math.round(TOTAL / t)
      .toLocaleString('en')
      .padStart(10)}`,
  );
  console.log(
    `ratio ours/sqlite3 speed: ${(t / oursS).toFixed(2)} (target >= 0.5); peak RSS target < 200 MB`,
  );
} else {
  console.log('sqlite3 not installed (apt-get install -y sqlite3): no reference figure');
}
fs.rmSync(dir, { recursive: true, force: true });
