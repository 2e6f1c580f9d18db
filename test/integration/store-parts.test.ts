import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseWebhookFile } from '../../src/core/parse-file.js';
import { changedDays, clearChanged, prepareMarkChanged } from '../../src/io/store/changed-days.js';
import { openConnection } from '../../src/io/store/connection.js';
import { IngestLedger } from '../../src/io/store/ingest.js';
import { LATEST_VERSION } from '../../src/io/store/migrations.js';
import { purgeBefore, storeHorizon } from '../../src/io/store/retention.js';
import {
  INTERRUPTED,
  closeInterruptedRuns,
  lastError,
  lastRun,
  startRun,
} from '../../src/io/store/runs.js';
import { countDay, storeCounts, unfinishedFiles } from '../../src/io/store/status.js';
import type { BatchItem } from '../../src/pipeline/ports.js';
import { messageSend } from '../fixtures/webio.js';
import { tempDir } from '../helpers/harness.js';

// Each concern of the store is a module over a bare better-sqlite3 connection: no SqliteStore
// needed to use one, so each can be read, tested and changed on its own.

const open: Database.Database[] = [];
afterEach(() => {
  for (const db of open.splice(0)) if (db.open) db.close();
});

function connect(): { db: Database.Database; file: string } {
  const file = path.join(tempDir('webio-parts-'), 'store.sqlite');
  const db = openConnection({ path: file, busyTimeoutMs: 1000, exportTimeZone: 'Europe/London' });
  open.push(db);
  return { db, file };
}

/** One file holding one send dated 2021-07-01 23:30 UTC: 00:30 on 2 July in London (BST). */
function oneSendFile(): BatchItem {
  const events = [{ ...messageSend, dateCreated: '2021-07-01 23:30:00.000' }];
  const bytes = new TextEncoder().encode(JSON.stringify(events));
  // Parsed as if read on 5 July 2021: a date far from the time of ingest is refused.
  const parsed = parseWebhookFile(bytes, 'UTC', Date.UTC(2021, 6, 5));
  if (!parsed.ok) throw new Error(parsed.detail);
  return {
    kind: 'ingest',
    file: { name: 'a.json', remotePath: '/in/a.json', size: 1, mtimeMs: 1, contentHash: 'h1' },
    events: parsed.events,
  };
}

describe('the store, a concern per module over one connection', () => {
  it('connection: a writer creates the file private and migrates it; a reader opens it as it is', () => {
    const { db, file } = connect();
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    db.close();
    const reader = openConnection({
      path: file,
      busyTimeoutMs: 1000,
      exportTimeZone: 'Europe/London',
      readonly: true,
    });
    open.push(reader);
    expect(reader.readonly).toBe(true);
  });

  it('ingest commits a file and marks the day it changed; status counts it by that day', () => {
    const { db } = connect();
    const ledger = new IngestLedger(db, 'Europe/London', prepareMarkChanged(db));
    const [commit] = ledger.commitBatch([oneSendFile()], 5000);
    expect(commit).toMatchObject({ newByType: { messageSend: 1 }, duplicates: 0, conflicts: 0 });
    // 23:30 UTC on 1 July is 00:30 BST on 2 July: the London day that changed.
    expect(changedDays(db)).toEqual(['2021-07-02']);
    expect(countDay(db, '2021-07-02', 'Europe/London').sends).toBe(1);
    expect(countDay(db, '2021-07-01', 'Europe/London').sends).toBe(0);
    expect(storeCounts(db).typed).toEqual({ sends: 1, inbound: 0, statuses: 0 });
    // Committed, not finished on the server yet: retried on every poll until it is.
    expect(unfinishedFiles(db)).toEqual([{ name: 'a.json', finish: 'pending', error: null }]);
    ledger.recordFinishes(
      [{ fileId: commit?.fileId ?? 0, finish: 'moved', path: '/p/a.json', error: null }],
      6000,
    );
    expect(unfinishedFiles(db)).toEqual([]);
    // An export that started at 5000 clears the mark made at 5000, not one made later.
    clearChanged(db, '2021-07-02', 4999);
    expect(changedDays(db)).toEqual(['2021-07-02']);
    clearChanged(db, '2021-07-02', 5000);
    expect(changedDays(db)).toEqual([]);
  });

  it('runs: a run its process never ended is closed as interrupted and is the last error', () => {
    const { db } = connect();
    const id = startRun(db, 'export', 1000);
    expect(lastRun(db, 'export', false, false)).toBeUndefined();
    expect(lastRun(db, 'export', false, true)?.id).toBe(id);
    expect(closeInterruptedRuns(db, 2000)).toBe(1);
    expect(lastError(db)).toEqual({ kind: 'export', at: 2000, error: INTERRUPTED });
  });

  it('retention counts in a dry run, then removes and sets the horizon', () => {
    const { db } = connect();
    new IngestLedger(db, 'Europe/London', prepareMarkChanged(db)).commitBatch(
      [oneSendFile()],
      5000,
    );
    // The send is dated Date.UTC(2021, 6, 1, 23, 30); a cutoff a millisecond later takes it.
    const cutoff = Date.UTC(2021, 6, 1, 23, 30) + 1;
    const expected = { sends: 1, inbound: 0, statuses: 0, rawEvents: 1, quarantined: 0, files: 0 };
    expect(purgeBefore(db, cutoff, true, 'Europe/London')).toEqual(expected);
    expect(storeCounts(db).typed.sends).toBe(1);
    expect(storeHorizon(db)).toBeUndefined();
    // The file record stays: it was committed at 5000 ms, which is before the cutoff, but it
    // is still pending on the server (never finished), and pending files are kept.
    expect(purgeBefore(db, cutoff, false, 'Europe/London')).toEqual(expected);
    expect(storeCounts(db).typed.sends).toBe(0);
    expect(storeHorizon(db)).toBe(cutoff);
  });
});
