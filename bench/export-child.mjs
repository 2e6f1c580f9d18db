// Child process of export-bench.mjs: exports one day and reports time and peak RSS.
import { SqliteStore } from '../dist/io/sqlite-store.js';
import { runExport } from '../dist/pipeline/export-run.js';
import { writeFileAtomic } from '../dist/io/csv-writer.js';
import { mergeLabels } from '../dist/core/csv-rows.js';

const [dbPath, outDir, day] = process.argv.slice(2);
const store = new SqliteStore({
  path: dbPath,
  busyTimeoutMs: 1000,
  exportTimeZone: 'Europe/London',
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const t0 = process.hrtime.bigint();
const s = await runExport(
  { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
  {
    dir: outDir,
    bom: false,
    timeZone: 'Europe/London',
    labels: mergeLabels({}),
    escapeFormulas: true,
  },
  [day],
);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
store.close();
const rows = s.files.reduce((a, f) => a + f.rows, 0);
console.log(
  JSON.stringify({
    seconds,
    rows,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    failures: s.failures.length,
  }),
);
