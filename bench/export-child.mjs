// Child process of export-bench.mjs: exports one day, one report at a time, and reports each
// report's time and the peak RSS.
import { SqliteStore } from '../dist/io/sqlite-store.js';
import { runExport } from '../dist/pipeline/export-run.js';
import { writeFileAtomic } from '../dist/io/csv-writer.js';
import { mergeLabels } from '../dist/core/csv-rows.js';
import { DEFAULT_OPT_OUT_WORDS, DEFAULT_STATUS_CLASSES } from '../dist/core/outcomes.js';
import { REPORTS } from '../dist/reports/index.js';

const [dbPath, outDir, day] = process.argv.slice(2);
const store = new SqliteStore({
  path: dbPath,
  busyTimeoutMs: 1000,
  exportTimeZone: 'Europe/London',
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const reports = {};
let failures = 0;
for (const report of REPORTS) {
  const t0 = process.hrtime.bigint();
  const s = await runExport(
    { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
    {
      dir: outDir,
      bom: false,
      timeZone: 'Europe/London',
      labels: mergeLabels({}),
      escapeFormulas: true,
      classes: DEFAULT_STATUS_CLASSES,
      optOutWords: DEFAULT_OPT_OUT_WORDS,
      reports: [report],
    },
    [day],
  );
  failures += s.failures.length;
  reports[report.name] = {
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
    rows: s.files.reduce((a, f) => a + f.rows, 0),
  };
}
store.close();
console.log(JSON.stringify({ reports, maxRssMB: process.resourceUsage().maxRSS / 1024, failures }));
