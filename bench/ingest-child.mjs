// Child process of ingest-bench.mjs: one full ingest (list, fetch, parse, validate, store,
// move) into a fresh database; prints time, counts and peak RSS.
import { createLogger, ingestOnce, loadConfig, openStore } from '../dist/bench-entry.js';

const config = loadConfig(process.argv[2]);
const handle = await openStore(config);
const t0 = process.hrtime.bigint();
const s = await ingestOnce(config, handle.store, createLogger('error', 'stderr'));
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
handle.close();
const events =
  Object.values(s.newEvents).reduce((a, b) => a + b, 0) +
  s.duplicates +
  s.conflicts +
  s.otherEvents;
console.log(
  JSON.stringify({
    seconds,
    files: s.fetched,
    moved: s.finished.moved,
    events,
    rssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
