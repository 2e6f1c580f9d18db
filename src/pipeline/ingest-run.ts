// The ingest pipeline lives in ./ingest/; this entry keeps the names its callers import.
export { runIngest, type IngestDeps } from './ingest/run.js';
export type { IngestOptions, IngestSummary } from './ingest/summary.js';
