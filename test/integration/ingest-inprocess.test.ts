import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SftpSource } from '../../src/io/sftp-source.js';
import { SqliteStore } from '../../src/io/sqlite-store.js';
import { runIngest, type IngestOptions } from '../../src/pipeline/ingest-run.js';
import { inboundMessage, json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

// The ingest pipeline run in this process (real sshd, real SftpSource, real SQLite), so that
// its branches are measured by coverage and mutation testing; the CLI tests run the build.
const sshd = useSshd();
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

async function ingest(
  t: ReturnType<typeof setupConfig>,
  over: Partial<IngestOptions> = {},
  deps: { signal?: AbortSignal; store?: SqliteStore } = {},
) {
  const config = validateConfig(t.raw, {}, t.configFile);
  const store =
    deps.store ??
    new SqliteStore({ path: t.config.database.path, busyTimeoutMs: 1000, exportTimeZone: 'UTC' });
  const source = await SftpSource.connect(config.sftp);
  try {
    return await runIngest(
      {
        source,
        store,
        log: quiet,
        clock: Date.now,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      { ...config.sftp, sourceTimeZone: 'UTC', ...over },
    );
  } finally {
    await source.close();
    if (!deps.store) store.close();
  }
}

const send = (id: number, extra: object = {}) =>
  json({ ...messageSend, communicationActionId: String(id), ...extra });

describe('runIngest in process', () => {
  it('counts, dedups, quarantines, waits and moves, oldest first within maxFilesPerPoll', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', send(1), 500);
    dropFile(t.remoteDir, 'b.json', send(1), 400); // the same payload: a duplicate
    dropFile(t.remoteDir, 'c.json', send(1, { body: 'other' }), 300); // a conflict
    dropFile(t.remoteDir, 'd.json', json([inboundMessage, messageStatusUpdate]), 200);
    dropFile(t.remoteDir, 'e.json', json({ type: 'payment', amount: 1 }), 150);
    dropFile(t.remoteDir, 'f.json', '{"broken', 120); // young enough to wait (grace 300 s)
    dropFile(t.remoteDir, 'g.json', json({ type: 'messageSend' }), 110); // no id
    dropFile(t.remoteDir, 'h.json', 'x'.repeat(2000), 100); // too large
    dropFile(t.remoteDir, 'i.json', send(9), 90); // over maxFilesPerPoll
    dropFile(t.remoteDir, 'young.json', send(10), 0);
    dropFile(t.remoteDir, 'notes.txt', 'ignored', 600);

    const s = await ingest(t, { maxFilesPerPoll: 8, maxFileBytes: 1000 });
    expect(s.listed).toBe(11);
    expect(s.matched).toBe(10);
    expect(s.young).toBe(1);
    expect(s.deferred).toBe(1);
    expect(s.fetched).toBe(7);
    expect(s.newEvents).toEqual({ messageSend: 1, inboundMessage: 1, messageStatusUpdate: 1 });
    expect(s.duplicates).toBe(1);
    expect(s.conflicts).toBe(1);
    expect(s.otherEvents).toBe(1);
    expect(s.quarantined.map((q) => [q.file, q.reason])).toEqual([
      ['g.json', 'missing-communicationActionId'],
      ['h.json', 'too-large'],
    ]);
    expect(s.waiting.map((w) => w.file)).toEqual(['f.json']);
    expect(s.finished).toEqual({ moved: 5, deleted: 0, kept: 0 });
    expect(s.fetchErrors).toEqual([]);
    expect(s.finishErrors).toEqual([]);
    expect(s.stoppedEarly).toBeUndefined();
    expect(listDir(t.processedDir)).toEqual(['a.json', 'b.json', 'c.json', 'd.json', 'e.json']);
    expect(listDir(t.errorDir)).toEqual(['g.json', 'h.json']);
    expect(listDir(t.remoteDir)).toEqual([
      'error',
      'f.json',
      'i.json',
      'notes.txt',
      'processed',
      'young.json',
    ]);
    // The deferred file comes next time; the waiting one stays unreadable and keeps waiting.
    const again = await ingest(t, { maxFilesPerPoll: 8, maxFileBytes: 1000 });
    expect(again.fetched).toBe(1);
    expect(again.newEvents.messageSend).toBe(1);
    expect(again.waiting.map((w) => w.file)).toEqual(['f.json']);
    // Past the grace period it is quarantined.
    const late = await ingest(t, { parseGraceSeconds: 60 });
    expect(late.quarantined.map((q) => [q.file, q.reason])).toEqual([['f.json', 'not-json']]);
  });

  it('deletes or keeps instead of moving, and never reads a kept file twice', async () => {
    const del = setupConfig(sshd, { afterIngest: 'delete' });
    dropFile(del.remoteDir, 'a.json', send(1));
    const d = await ingest(del);
    expect(d.finished).toEqual({ moved: 0, deleted: 1, kept: 0 });
    expect(listDir(del.remoteDir)).toEqual(['error']);

    const keep = setupConfig(sshd, { afterIngest: 'keep' });
    dropFile(keep.remoteDir, 'a.json', send(1));
    const k1 = await ingest(keep);
    expect(k1.finished).toEqual({ moved: 0, deleted: 0, kept: 1 });
    const k2 = await ingest(keep);
    expect(k2.fetched).toBe(0);
    expect(k2.alreadyProcessed).toBe(0);
    expect(listDir(keep.remoteDir)).toEqual(['a.json', 'error']);
  });

  it('finishes a file committed by a run that died before moving it, storing nothing twice', async () => {
    const t = setupConfig(sshd);
    dropFile(t.remoteDir, 'a.json', send(1));
    dropFile(t.remoteDir, 'b.json', send(2));
    const store = new SqliteStore({
      path: t.config.database.path,
      busyTimeoutMs: 1000,
      exportTimeZone: 'UTC',
    });
    try {
      // A run that committed a.json and b.json, then "crashed": its moves never happened.
      const original = store.recordFinishes.bind(store);
      store.recordFinishes = () => undefined;
      const first = await ingest(t, {}, { store });
      expect(first.fetched).toBe(2);
      store.recordFinishes = original;
      // Put the files back where the crashed run found them, one under its old name.
      fs.renameSync(path.join(t.processedDir, 'a.json'), path.join(t.remoteDir, 'a.json'));
      const second = await ingest(t, {}, { store });
      expect(second.fetched).toBe(0);
      expect(second.alreadyProcessed).toBe(1);
      expect(second.newEvents.messageSend).toBe(0);
      expect(listDir(t.processedDir)).toEqual(['a.json', 'b.json']);
      expect(store.unfinishedFiles()).toEqual([]);
    } finally {
      store.close();
    }
  });

  it('moves under a new name when the name is taken, and removes a byte-identical leftover', async () => {
    const t = setupConfig(sshd);
    fs.mkdirSync(t.processedDir, { recursive: true });
    fs.writeFileSync(path.join(t.processedDir, 'a.json'), 'someone else');
    fs.writeFileSync(path.join(t.processedDir, 'b.json'), send(2));
    dropFile(t.remoteDir, 'a.json', send(1));
    dropFile(t.remoteDir, 'b.json', send(2));
    const s = await ingest(t);
    expect(s.finished.moved).toBe(2);
    expect(listDir(t.processedDir)).toEqual(['a.json', 'a~1.json', 'b.json']);
    expect(fs.readFileSync(path.join(t.processedDir, 'a~1.json'), 'utf8')).toBe(send(1));
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
  });

  it('commits in listing order in slices, and stops between rounds on shutdown', async () => {
    const t = setupConfig(sshd);
    // 30 files of 3 events, oldest first; the newest repeats the oldest's id with new text:
    // the older file's send must win whatever order the fetches finish in.
    for (let i = 0; i < 30; i++) {
      const events = [0, 1, 2].map((k) => ({
        ...messageSend,
        communicationActionId: String(i * 3 + k),
      }));
      if (i === 29) events[2] = { ...messageSend, communicationActionId: '0', body: 'newer' };
      dropFile(t.remoteDir, `f${String(i).padStart(2, '0')}.json`, json(events), 1000 - i);
    }
    const store = new SqliteStore({
      path: t.config.database.path,
      busyTimeoutMs: 1000,
      exportTimeZone: 'UTC',
    });
    const slices: number[] = [];
    const commitBatch = store.commitBatch.bind(store);
    store.commitBatch = (items, now) => {
      slices.push(items.length);
      return commitBatch(items, now);
    };
    try {
      // A budget smaller than two files: every file waits for the one before to commit.
      const s = await ingest(
        t,
        { sliceEvents: 7, memoryBudgetBytes: 1, concurrency: 8 },
        { store },
      );
      expect(s.fetched).toBe(30);
      expect(s.conflicts).toBe(1);
      expect(slices.reduce((a, b) => a + b, 0)).toBe(30);
      expect(slices.length).toBeGreaterThanOrEqual(10);
      const body = store['db']
        .prepare(`SELECT body FROM sends WHERE communication_action_id = '0'`)
        .get() as { body: string };
      expect(body.body).toBe(messageSend.body);
    } finally {
      store.close();
    }

    const u = setupConfig(sshd);
    for (let i = 0; i < 5; i++) dropFile(u.remoteDir, `g${i}.json`, send(100 + i));
    const aborted = new AbortController();
    aborted.abort();
    const stopped = await ingest(u, { batchSize: 2 }, { signal: aborted.signal });
    expect(stopped.stoppedEarly).toBe('shutdown requested');
    expect(stopped.fetched).toBe(0);
  });

  it('refuses a remoteDir that does not exist, creating nothing', async () => {
    const t = setupConfig(sshd);
    const missing = path.join(t.remoteDir, 'nope');
    const raw = { ...t.raw, sftp: { ...(t.raw.sftp as object), remoteDir: missing } };
    await expect(ingest({ ...t, raw })).rejects.toThrow(/does not exist on the server/);
    expect(fs.existsSync(missing)).toBe(false);
  });
});
