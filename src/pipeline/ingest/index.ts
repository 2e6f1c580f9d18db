// The ingest pipeline: one poll's run (run.ts) and what it reports (summary.ts).
export { runIngest, type IngestDeps } from './run.js';
export type { IngestOptions, IngestSummary } from './summary.js';
