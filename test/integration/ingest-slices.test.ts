import { describe, expect, it } from 'vitest';
import { runIngest } from '../../src/pipeline/ingest/index.js';
import type { IngestOptions } from '../../src/pipeline/ingest/index.js';
import { messageSend } from '../fixtures/webio.js';
import { quiet } from '../helpers/inprocess.js';
import { memoryLog } from '../helpers/log-sink.js';
import { MemorySource } from '../helpers/memory-source.js';
import { freshStore } from '../helpers/store.js';

// The ingest pipeline over an in-memory folder (our own Source port, not a mock of a
// library) and a real SQLite file: the in-order slices, in milliseconds.
const NOW = Date.UTC(2026, 0, 10);
const send = (id: string, body = 'hi') =>
  JSON.stringify({ ...messageSend, communicationActionId: id, body });
const options = (over: Partial<IngestOptions> = {}): IngestOptions => ({
  remoteDir: '/in',
  pattern: '*.json',
  afterIngest: 'move',
  processedDir: '/in/processed',
  errorDir: '/in/error',
  minFileAgeSeconds: 5,
  maxFileBytes: 1_048_576,
  maxFilesPerPoll: 5000,
  parseGraceSeconds: 300,
  concurrency: 8,
  sourceTimeZone: 'UTC',
  ...over,
});

function folder(files: [string, string, number][]): MemorySource {
  const source = new MemorySource(NOW);
  source.dirs.add('/in');
  for (const [name, content, age] of files) source.put(`/in/${name}`, content, age);
  return source;
}

describe('ingest in listing order, in slices', () => {
  it('keeps the older file’s send of two conflicting ones, whatever order the reads end in', async () => {
    const source = folder([
      ['old.json', send('1', 'first'), 300],
      ['new.json', send('1', 'second'), 200],
    ]);
    // The older file's read is the slow one: it finishes last.
    source.delays.set('/in/old.json', 20);
    const { store } = freshStore();
    try {
      const s = await runIngest({ source, store, log: quiet, clock: () => NOW }, options());
      expect([s.fetched, s.conflicts]).toEqual([2, 1]);
      const row = store['db'].prepare('SELECT body FROM sends').get() as { body: string };
      expect(row.body).toBe('first');
    } finally {
      store.close();
    }
  });

  it("says so when files wait because the server's clock is ahead of this one", async () => {
    // Ages: 300 s old is taken; -600 s is dated 10 minutes ahead of this clock: it waits.
    const source = folder([
      ['now.json', send('1'), 300],
      ['ahead.json', send('2'), -600],
    ]);
    const { store } = freshStore();
    const log = memoryLog();
    try {
      const s = await runIngest({ source, store, log, clock: () => NOW }, options());
      expect([s.fetched, s.young, s.youngAheadSeconds]).toEqual([1, 1, 600]);
      const warned = log.records.find((r) => r.level === 'warn');
      expect(warned?.fields).toEqual({ files: 1, aheadSeconds: 600 });
      expect(warned?.msg).toContain("ahead of this machine's clock");
    } finally {
      store.close();
    }
  });

  it('commits slices of sliceEvents events; a failed commit keeps earlier slices and leaves the rest', async () => {
    const files: [string, string, number][] = Array.from({ length: 7 }, (_, i) => [
      `f${i}.json`,
      send(String(i)),
      100 - i,
    ]);
    const source = folder(files);
    const { store } = freshStore();
    const commit = store.commitBatch.bind(store);
    const sizes: number[] = [];
    store.commitBatch = (items, now) => {
      sizes.push(items.length);
      if (sizes.length === 3)
        throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
      return commit(items, now);
    };
    try {
      await expect(
        runIngest({ source, store, log: quiet, clock: () => NOW }, options({ sliceEvents: 3 })),
      ).rejects.toMatchObject({ stage: 'commit', storedFiles: 6 });
      // Slices of 3 events (one send a file): f0-f2, f3-f5, then f6 fails.
      expect(sizes).toEqual([3, 3, 1]);
      expect(source.names('/in/processed')).toEqual(files.slice(0, 6).map(([n]) => n));
      expect(source.names('/in').filter((n) => n.endsWith('.json'))).toEqual(['f6.json']);
    } finally {
      store.close();
    }
  });

  it('counts a lost connection once, and leaves every unread file in place', async () => {
    const source = folder(
      Array.from({ length: 20 }, (_, i): [string, string, number] => [
        `f${String(i).padStart(2, '0')}.json`,
        send(String(i)),
        100 - i,
      ]),
    );
    source.afterRead = (p) => {
      if (p.endsWith('/f04.json')) source.dropped = true;
    };
    const { store } = freshStore();
    try {
      const s = await runIngest(
        { source, store, log: quiet, clock: () => NOW },
        options({ concurrency: 1, batchSize: 5 }),
      );
      expect(s.stoppedEarly).toMatch(/closed the connection/);
      expect(s.fetchErrors).toEqual([]);
      // f00..f04 were read; the connection went before f04's slice could be finished.
      expect(s.fetched).toBe(5);
      expect(s.notFetched).toBe(15);
    } finally {
      store.close();
    }
  });
});
