// Child process of export-bench.mjs. Mode "each": exports one day one report at a time, in
// this thread, and reports each report's time. Mode "raw" or "all": exports the three raw
// reports, or all five, in one export as the CLI runs it (reports rendered side by side in
// worker threads when the machine has more than one CPU) and reports the wall time; mode
// "parquet" is "all" with export.formats ["csv", "parquet"]. Each reports the peak RSS.
import {
  REPORTS,
  ReportWorkers,
  SqliteStore,
  configSchema,
  createParquetEncoder,
  exportOptionsFrom,
  exportThreads,
  runExport,
  writeFileAtomic,
  writeFilesAtomic,
} from '../dist/bench-entry.js';

const [dbPath, outDir, day, mode = 'each'] = process.argv.slice(2);
const store = new SqliteStore({
  path: dbPath,
  busyTimeoutMs: 1000,
  exportTimeZone: 'Europe/London',
});
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
// The default config's export settings, as the service would build them from it.
const options = (reports, formats = ['csv']) => ({
  ...exportOptionsFrom({ export: configSchema.shape.export.parse({ dir: outDir, formats }) }),
  reports,
});
const reports = {};
let failures = 0;
if (mode === 'each') {
  for (const report of REPORTS) {
    const t0 = process.hrtime.bigint();
    const s = await runExport(
      { store, writeFile: writeFileAtomic, clock: Date.now, log: quiet },
      options([report]),
      [day],
    );
    failures += s.failures.length;
    reports[report.name] = {
      seconds: Number(process.hrtime.bigint() - t0) / 1e9,
      rows: s.files.reduce((a, f) => a + f.rows, 0),
    };
  }
} else {
  const chosen = REPORTS.filter(
    (r) => mode !== 'raw' || ['sends', 'inbound', 'statuses'].includes(r.name),
  );
  const opts = options(chosen, mode === 'parquet' ? ['csv', 'parquet'] : ['csv']);
  const threads = exportThreads();
  const t0 = process.hrtime.bigint();
  const workers =
    threads > 1
      ? new ReportWorkers({ dbPath, busyTimeoutMs: 1000, opts, size: threads })
      : undefined;
  try {
    const s = await runExport(
      {
        store,
        writeFile: writeFileAtomic,
        writeFiles: writeFilesAtomic,
        createParquet: createParquetEncoder,
        clock: Date.now,
        log: quiet,
        ...(workers ? { render: workers.render, concurrency: threads } : {}),
      },
      opts,
      [day],
    );
    failures += s.failures.length;
    for (const f of s.files) reports[f.report] = { rows: f.rows };
    reports.bytes = {
      csv: s.files.filter((f) => f.format === 'csv').reduce((a, f) => a + f.bytes, 0),
      parquet: s.files.filter((f) => f.format === 'parquet').reduce((a, f) => a + f.bytes, 0),
    };
  } finally {
    await workers?.close();
  }
  reports.wall = { seconds: Number(process.hrtime.bigint() - t0) / 1e9, threads };
}
store.close();
console.log(JSON.stringify({ reports, maxRssMB: process.resourceUsage().maxRSS / 1024, failures }));
