import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SftpSource } from '../../src/io/sftp/index.js';
import { SqliteStore } from '../../src/io/store/index.js';
import type { Source } from '../../src/pipeline/ports.js';
import { inboundMessage, json, messageSend, messageStatusUpdate } from '../fixtures/webio.js';
import { dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { SERVERS, useServer } from '../helpers/use-sshd.js';
import { ingestInProcess, openStore, withFaults } from '../helpers/inprocess.js';

// The ingest pipeline run in this process (real sshd, real SftpSource, real SQLite), so that
// its branches are measured by coverage and mutation testing; the CLI tests run the build.
describe.each(SERVERS)('%s', (kind) => {
  const sshd = useServer(kind);

  const ingest = ingestInProcess;

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

    it('deletes or keeps instead of moving, and never stores a kept file twice', async () => {
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
      expect(k2.kept).toEqual({ known: 1, rechecked: 1 });
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
        // Known by name, size and time as committed and pending: finished without a read.
        const reads: string[] = [];
        const second = await ingest(
          t,
          {},
          {
            store,
            wrap: recordingReads(reads),
          },
        );
        expect(reads).toEqual([]);
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

  /** The real source, recording the path of every file read into `reads`. */
  function recordingReads(reads: string[]): (real: SftpSource) => Source {
    return (real) =>
      withFaults(real, {
        read: (p, size) => {
          reads.push(p);
          return real.read(p, size);
        },
      });
  }

  type FileRow = { name: string; finish: string; path: string | null; error: string | null };
  const fileRows = (store: SqliteStore): FileRow[] =>
    store['db']
      .prepare(
        `SELECT name, finish, finished_path AS path, finish_error AS error FROM files ORDER BY name`,
      )
      .all() as FileRow[];

  /** Runs `fn` with the store's finish records switched off: a run that "crashed" after its
   *  commits and moves, before recording them. */
  async function withoutFinishRecords<T>(store: SqliteStore, fn: () => Promise<T>): Promise<T> {
    const original = store.recordFinishes.bind(store);
    store.recordFinishes = () => undefined;
    try {
      return await fn();
    } finally {
      store.recordFinishes = original;
    }
  }

  describe('runIngest in process: recovery', () => {
    it('a file that vanishes after the listing is that file’s error, one cut short waits; the poll goes on', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'b.json', send(2), 200);
      dropFile(t.remoteDir, 'c.json', send(3), 100);
      dropFile(t.remoteDir, 'd.json', send(4), 50);
      const s = await ingest(
        t,
        {},
        {
          wrap: (real) =>
            withFaults(real, {
              listEach: async (dir, visit) => {
                await real.listEach(dir, visit);
                // After the listing: b.json is taken away, c.json is cut short.
                fs.unlinkSync(path.join(t.remoteDir, 'b.json'));
                fs.truncateSync(path.join(t.remoteDir, 'c.json'), 5);
              },
            }),
        },
      );
      expect(s.fetchErrors.map((e) => e.file)).toEqual(['b.json']);
      // Cut short just now: what it holds now is read, and it waits until it is left alone.
      expect(s.waiting.map((w) => w.file)).toEqual(['c.json']);
      expect(s.waiting[0]?.detail).toMatch(/changed since the listing \(5 bytes now\)/);
      expect(s.stoppedEarly).toBeUndefined();
      expect(s.fetched).toBe(2);
      expect(s.newEvents.messageSend).toBe(2);
      expect(listDir(t.processedDir)).toEqual(['a.json', 'd.json']);
      expect(listDir(t.remoteDir)).toEqual(['c.json', 'error', 'processed']);
    });

    it('a connection lost mid-poll ends it early, keeping every commit; the next poll takes the rest', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'x.json', send(2), 200);
      dropFile(t.remoteDir, 'y.json', send(3), 100);
      const store = openStore(t);
      try {
        const s = await ingest(
          t,
          { batchSize: 1, concurrency: 1 },
          {
            store,
            wrap: (real) =>
              withFaults(real, {
                read: async (p, size) => {
                  if (p.endsWith('/x.json')) {
                    // Once a.json is moved, the connection drops as x.json is read.
                    while (fs.existsSync(path.join(t.remoteDir, 'a.json')))
                      await new Promise((r) => setTimeout(r, 10));
                    await real.close();
                  }
                  return real.read(p, size);
                },
              }),
          },
        );
        // (The test ends the session itself: "the session was closed".)
        expect(s.stoppedEarly).toMatch(/the session was closed/);
        // A lost connection is the run's failure, not each file's: x.json (in flight) and
        // y.json (not started) are counted, not listed.
        expect(s.fetchErrors).toEqual([]);
        expect(s.notFetched).toBe(2);
        expect(s.leftOnServer).toBe(2);
        expect(s.fetched).toBe(1);
        expect(listDir(t.processedDir)).toEqual(['a.json']);
        expect(listDir(t.remoteDir)).toEqual(['error', 'processed', 'x.json', 'y.json']);

        const next = await ingest(t, {}, { store });
        expect(next.fetched).toBe(2);
        expect(next.stoppedEarly).toBeUndefined();
        expect(store.counts().typed.sends).toBe(3);
        expect(listDir(t.processedDir)).toEqual(['a.json', 'x.json', 'y.json']);
      } finally {
        store.close();
      }
    });

    it('records a file taken away before its move as gone, and retries a failed move on the next poll', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'v.json', send(2), 200);
      const store = openStore(t);
      const processedAside = `${t.processedDir}-aside`;
      try {
        const s = await ingest(
          t,
          {},
          {
            store,
            wrap: (real) =>
              withFaults(real, {
                read: async (p, size) => {
                  const bytes = await real.read(p, size);
                  // Someone else takes v.json once it is read; processed/ turns into a file.
                  if (p.endsWith('/v.json')) fs.unlinkSync(path.join(t.remoteDir, 'v.json'));
                  if (p.endsWith('/a.json') && !fs.existsSync(processedAside)) {
                    fs.renameSync(t.processedDir, processedAside);
                    fs.writeFileSync(t.processedDir, 'not a folder');
                  }
                  return bytes;
                },
              }),
          },
        );
        expect(s.fetched).toBe(2);
        expect(s.finished.moved).toBe(0);
        expect(s.finishErrors.map((e) => e.file)).toEqual(['a.json']);
        expect(fileRows(store)).toEqual([
          { name: 'a.json', finish: 'failed', path: null, error: s.finishErrors[0]?.error },
          {
            name: 'v.json',
            finish: 'gone',
            path: null,
            error: 'the file disappeared before it could be finished',
          },
        ]);
        expect(store.unfinishedFiles().map((f) => f.name)).toEqual(['a.json']);

        // The folder is back: the next poll finishes a.json without reading it again.
        fs.rmSync(t.processedDir);
        fs.renameSync(processedAside, t.processedDir);
        const reads: string[] = [];
        const next = await ingest(
          t,
          {},
          {
            store,
            wrap: recordingReads(reads),
          },
        );
        expect(reads).toEqual([]);
        expect(next.fetched).toBe(0);
        expect(next.alreadyProcessed).toBe(1);
        expect(next.finished.moved).toBe(1);
        expect(store.counts().typed.sends).toBe(2);
        expect(store.unfinishedFiles()).toEqual([]);
        expect(listDir(t.processedDir)).toEqual(['a.json']);
      } finally {
        store.close();
      }

      // With afterIngest "delete", a file taken away before its delete is gone too.
      const d = setupConfig(sshd, { afterIngest: 'delete' });
      dropFile(d.remoteDir, 'v.json', send(3));
      const dstore = openStore(d);
      try {
        const s = await ingest(
          d,
          {},
          {
            store: dstore,
            wrap: (real) =>
              withFaults(real, {
                read: async (p, size) => {
                  const bytes = await real.read(p, size);
                  fs.unlinkSync(path.join(d.remoteDir, 'v.json'));
                  return bytes;
                },
              }),
          },
        );
        expect(s.finishErrors).toEqual([]);
        expect(s.finished.deleted).toBe(0);
        expect(fileRows(dstore).map((r) => [r.name, r.finish])).toEqual([['v.json', 'gone']]);
      } finally {
        dstore.close();
      }
    });

    it('after a crash between move and record, records where each committed file went', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'b.json', send(2), 200);
      dropFile(t.remoteDir, 'q.json', json({ type: 'messageSend' }), 100); // quarantined
      const store = openStore(t);
      try {
        const first = await withoutFinishRecords(store, () => ingest(t, {}, { store }));
        expect(first.fetched).toBe(3);
        expect(store.unfinishedFiles().map((f) => f.name)).toEqual(['a.json', 'b.json', 'q.json']);
        // Since then someone removed b.json from processed/.
        fs.unlinkSync(path.join(t.processedDir, 'b.json'));

        const second = await ingest(t, {}, { store });
        expect(second.fetched).toBe(0);
        expect(second.alreadyProcessed).toBe(0);
        expect(fileRows(store)).toEqual([
          {
            name: 'a.json',
            finish: 'moved',
            path: path.posix.join(t.processedDir, 'a.json'),
            error: null,
          },
          {
            name: 'b.json',
            finish: 'gone',
            path: null,
            error: 'the file left the folder before its move was recorded',
          },
          {
            name: 'q.json',
            finish: 'moved',
            path: path.posix.join(t.errorDir, 'q.json'),
            error: null,
          },
        ]);
      } finally {
        store.close();
      }

      // Deleted files: recorded as deleted. Kept files: still in the folder, recorded as kept.
      for (const afterIngest of ['delete', 'keep'] as const) {
        const u = setupConfig(sshd, { afterIngest });
        dropFile(u.remoteDir, 'a.json', send(1));
        const ustore = openStore(u);
        try {
          await withoutFinishRecords(ustore, () => ingest(u, {}, { store: ustore }));
          const again = await ingest(u, {}, { store: ustore });
          expect(again.fetched).toBe(0);
          expect(fileRows(ustore).map((r) => [r.name, r.finish])).toEqual([
            ['a.json', afterIngest === 'delete' ? 'deleted' : 'kept'],
          ]);
          expect(again.alreadyProcessed).toBe(afterIngest === 'keep' ? 1 : 0);
        } finally {
          ustore.close();
        }
      }
    });

    it('knows a committed file by its content when it comes back with a new time, too large ones included', async () => {
      const t = setupConfig(sshd, { maxFileBytes: 1000 });
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'big.json', 'x'.repeat(1500), 200);
      const store = openStore(t);
      try {
        await withoutFinishRecords(store, () => ingest(t, { maxFileBytes: 1000 }, { store }));
        // Both come back (a re-upload after the crash): same bytes, a newer modification time.
        fs.renameSync(path.join(t.processedDir, 'a.json'), path.join(t.remoteDir, 'a.json'));
        fs.renameSync(path.join(t.errorDir, 'big.json'), path.join(t.remoteDir, 'big.json'));
        for (const n of ['a.json', 'big.json']) {
          const when = new Date(Date.now() - 60_000);
          fs.utimesSync(path.join(t.remoteDir, n), when, when);
        }
        const again = await ingest(t, { maxFileBytes: 1000 }, { store });
        expect(again.fetched).toBe(0);
        expect(again.alreadyProcessed).toBe(2);
        expect(again.quarantined).toEqual([]);
        expect(store.quarantined(10).total).toBe(1);
        expect(store.counts().typed.sends).toBe(1);
        expect(listDir(t.processedDir)).toEqual(['a.json']);
        expect(listDir(t.errorDir)).toEqual(['big.json']);
        expect(store.unfinishedFiles()).toEqual([]);
      } finally {
        store.close();
      }
    });

    it('leaves the unfinished files of another folder sharing the store alone', async () => {
      const a = setupConfig(sshd);
      const b = setupConfig(sshd);
      dropFile(a.remoteDir, 'a.json', send(1));
      dropFile(b.remoteDir, 'b.json', send(2));
      const store = openStore(a);
      try {
        await withoutFinishRecords(store, () => ingest(a, {}, { store }));
        await ingest(b, {}, { store });
        expect(fileRows(store).map((r) => [r.name, r.finish])).toEqual([
          ['a.json', 'pending'],
          ['b.json', 'moved'],
        ]);
      } finally {
        store.close();
      }
    });
  });

  describe('runIngest in process: store failures', () => {
    it('a failed commit ends the run with its error, leaving the files for the next poll', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1), 300);
      dropFile(t.remoteDir, 'b.json', send(2), 200);
      const store = openStore(t);
      const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      const commitBatch = store.commitBatch.bind(store);
      try {
        store.commitBatch = () => {
          throw full;
        };
        // The failure says where the run was: the slice being committed, after 0 stored files.
        await expect(ingest(t, {}, { store })).rejects.toMatchObject({
          stage: 'commit',
          storedFiles: 0,
          cause: full,
        });
        expect(listDir(t.remoteDir)).toEqual(['a.json', 'b.json', 'error', 'processed']);
        store.commitBatch = commitBatch;
        const next = await ingest(t, {}, { store });
        expect(next.fetched).toBe(2);
        expect(listDir(t.processedDir)).toEqual(['a.json', 'b.json']);
      } finally {
        store.close();
      }
    });

    it('a failure to record finished moves ends the run with its error, after the moves', async () => {
      const t = setupConfig(sshd);
      dropFile(t.remoteDir, 'a.json', send(1));
      const store = openStore(t);
      const locked = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      const recordFinishes = store.recordFinishes.bind(store);
      try {
        store.recordFinishes = (records, now) => {
          if (records.length) throw locked;
          recordFinishes(records, now);
        };
        await expect(ingest(t, {}, { store })).rejects.toMatchObject({
          stage: 'record-finishes',
          cause: locked,
        });
        expect(listDir(t.processedDir)).toEqual(['a.json']);
        store.recordFinishes = recordFinishes;
        // The next poll sees the committed file gone to processed/ and records it.
        await ingest(t, {}, { store });
        expect(fileRows(store).map((r) => [r.name, r.finish])).toEqual([['a.json', 'moved']]);
      } finally {
        store.close();
      }
    });
  });

  describe('runIngest in process: limits', () => {
    it('reads a file of exactly maxFileBytes, and keeps the first 64 KiB of a larger one', async () => {
      const t = setupConfig(sshd);
      const exact = send(1);
      dropFile(t.remoteDir, 'exact.json', exact, 300);
      dropFile(t.remoteDir, 'over.json', `${exact} `, 200);
      const s = await ingest(t, { maxFileBytes: Buffer.byteLength(exact) });
      expect(s.newEvents.messageSend).toBe(1);
      expect(s.quarantined).toEqual([
        {
          file: 'over.json',
          reason: 'too-large',
          detail: `${Buffer.byteLength(exact) + 1} bytes is over sftp.maxFileBytes (${Buffer.byteLength(exact)}); the first ${Buffer.byteLength(exact) + 1} bytes are kept`,
        },
      ]);

      const u = setupConfig(sshd);
      dropFile(u.remoteDir, 'huge.json', 'y'.repeat(70_000));
      const h = await ingest(u, { maxFileBytes: 1000 });
      expect(h.quarantined[0]?.detail).toBe(
        '70000 bytes is over sftp.maxFileBytes (1000); the first 65536 bytes are kept',
      );
      const store = openStore(u);
      try {
        const row = store['db']
          .prepare(`SELECT length(content) AS n, content_truncated AS t FROM quarantine`)
          .get() as { n: number; t: number };
        expect(row).toEqual({ n: 65_536, t: 1 });
        // A file quarantined for what it holds is kept whole.
        dropFile(u.remoteDir, 'bad.json', '[1, 2');
        await ingest(u, { parseGraceSeconds: 0 });
        const bad = store['db']
          .prepare(
            `SELECT length(content) AS n, content_truncated AS t FROM quarantine WHERE name = 'bad.json'`,
          )
          .get() as { n: number; t: number };
        expect(bad).toEqual({ n: 5, t: 0 });
      } finally {
        store.close();
      }
    });

    it('waits for an unreadable file until exactly parseGraceSeconds after its upload', async () => {
      const t = setupConfig(sshd);
      const mtime = Math.floor(Date.now() / 1000) * 1000 - 100_000;
      const file = dropFile(t.remoteDir, 'partial.json', '{"type": "messa');
      fs.utimesSync(file, new Date(mtime), new Date(mtime));
      const before = await ingest(t, { parseGraceSeconds: 60 }, { clock: () => mtime + 59_999 });
      expect(before.waiting.map((w) => w.file)).toEqual(['partial.json']);
      expect(before.quarantined).toEqual([]);
      const at = await ingest(t, { parseGraceSeconds: 60 }, { clock: () => mtime + 60_000 });
      expect(at.waiting).toEqual([]);
      expect(at.quarantined.map((q) => q.reason)).toEqual(['not-json']);
    });

    it('commits a slice as soon as it holds sliceEvents events', async () => {
      const t = setupConfig(sshd);
      for (let i = 0; i < 12; i++) {
        const events = [0, 1, 2].map((k) => ({
          ...messageSend,
          communicationActionId: `${i}-${k}`,
        }));
        dropFile(t.remoteDir, `f${String(i).padStart(2, '0')}.json`, json(events), 100 - i);
      }
      const store = openStore(t);
      const slices: number[] = [];
      const commitBatch = store.commitBatch.bind(store);
      store.commitBatch = (items, now) => {
        slices.push(items.length);
        return commitBatch(items, now);
      };
      try {
        // 3 events a file and a slice of 6: every second file closes a slice.
        const s = await ingest(t, { sliceEvents: 6, concurrency: 4 }, { store });
        expect(s.fetched).toBe(12);
        expect(slices).toEqual([2, 2, 2, 2, 2, 2]);
      } finally {
        store.close();
      }
    });

    it('does not count its own processed/ and error/ folders as skipped entries, other folders yes', async () => {
      const t = setupConfig(sshd, { pattern: '*' });
      dropFile(t.remoteDir, 'a.json', send(1));
      fs.mkdirSync(path.join(t.remoteDir, 'archive'));
      const s = await ingest(t, { pattern: '*' });
      expect(s.skipped).toEqual({ directory: 1 });
      expect(s.listed).toBe(1);
      expect(s.fetched).toBe(1);
    });
  });
});
