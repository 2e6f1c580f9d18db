import path from 'node:path';
import { parseWebhookFile } from '../../src/core/parse-file.js';
import { SqliteStore } from '../../src/io/store/index.js';
import { tempDir } from './harness.js';

let seq = 0;

/** A fresh SQLite store in a temp folder. */
export function freshStore(exportTimeZone = 'Europe/London'): { store: SqliteStore; dir: string } {
  const dir = tempDir('webio-store-');
  return {
    store: new SqliteStore({
      path: path.join(dir, 'webio.sqlite'),
      busyTimeoutMs: 1000,
      exportTimeZone,
    }),
    dir,
  };
}

/** Commits events as if one file holding them had been ingested. */
export function ingestEvents(
  store: SqliteStore,
  events: object[],
  sourceTimeZone = 'UTC',
  nowMs = Date.now(),
) {
  const bytes = new TextEncoder().encode(JSON.stringify(events));
  const parsed = parseWebhookFile(bytes, sourceTimeZone, nowMs);
  if (!parsed.ok) throw new Error(`fixture does not parse: ${parsed.detail}`);
  seq++;
  const [commit] = store.commitBatch(
    [
      {
        kind: 'ingest',
        file: {
          name: `f${seq}.json`,
          remotePath: `/in/f${seq}.json`,
          size: bytes.length,
          mtimeMs: nowMs,
          contentHash: `hash-${seq}-${nowMs}`,
        },
        events: parsed.events,
      },
    ],
    nowMs,
  );
  if (commit)
    store.recordFinishes(
      [{ fileId: commit.fileId, finish: 'moved', path: `/in/processed/f${seq}.json`, error: null }],
      nowMs,
    );
  return commit;
}
