/**
 * What the benchmarks (bench/*.mjs) use of the program, and the only module of `dist/` they
 * import: a rename or a move below breaks the build here, loudly, instead of a bench that
 * runs weeks later. Add a name here before a bench uses it.
 */
export { configSchema } from './config/schema.js';
export { loadConfig } from './config/load.js';
export { generateSampleFiles } from './demo/sample-files.js';
export { writeFileAtomic, writeFilesAtomic } from './io/files/atomic.js';
export { createLogger } from './io/logger.js';
export { createParquetEncoder } from './io/parquet.js';
export { ReportWorkers, exportThreads } from './jobs/report-workers.js';
export { SqliteStore } from './io/store/index.js';
export { ingestOnce, openStore } from './jobs/index.js';
export { exportOptionsFrom } from './pipeline/export/options.js';
export { runExport } from './pipeline/export/run.js';
export { REPORTS } from './reports/index.js';
