import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SftpError } from '../../src/errors.js';
import type { SqliteStore } from '../../src/io/store/index.js';
import { messageSend } from '../fixtures/webio.js';
import { dropFile, listDir, setupConfig } from '../helpers/harness.js';
import { ingestInProcess, openStore, withFaults } from '../helpers/inprocess.js';
import { SERVERS, useServer } from '../helpers/use-sshd.js';

// "What the service finishes is exactly what it stored": a file that changes on the real
// sshd between the read and the finish (replaced by a rename, appended to, rewritten in place
// with the same size, truncated), with every afterIngest. The change is made at the boundary,
// right after the real read returns, so its timing is exact.
type Setup = ReturnType<typeof setupConfig>;
type Mode = 'move' | 'delete' | 'keep';

const event = (id: string) => JSON.stringify({ ...messageSend, communicationActionId: id });
/** NDJSON, one send per line. */
const ndjson = (...ids: string[]) => ids.map((id) => `${event(id)}\n`).join('');
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** Sets a file's modification time `secondsAgo` in the past (past minFileAgeSeconds). */
function age(file: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  fs.utimesSync(file, t, t);
}

/** Replaces `file` by a rename, as an uploader does: new bytes, 30 s old. */
function replaceByRename(file: string, content: string): void {
  const tmp = path.join(path.dirname(file), '.upload.tmp');
  fs.writeFileSync(tmp, content);
  age(tmp, 30);
  fs.renameSync(tmp, file);
}

/** A poll that runs `change` on the server's copy of `name` right after it was read. */
function pollChangingAfterRead(
  t: Setup,
  store: SqliteStore,
  name: string,
  change: (file: string) => void,
) {
  let changed = false;
  return ingestInProcess(
    t,
    {},
    {
      store,
      wrap: (real) =>
        withFaults(real, {
          read: async (p, ...rest) => {
            const got = await real.read(p, ...rest);
            if (!changed && p.endsWith(`/${name}`)) {
              changed = true;
              change(path.join(t.remoteDir, name));
            }
            return got;
          },
        }),
    },
  );
}

/** The ids of every send in the store. */
const storedIds = (store: SqliteStore): string[] =>
  (
    store['db'].prepare('SELECT communication_action_id AS id FROM sends ORDER BY 1').all() as {
      id: string;
    }[]
  ).map((r) => r.id);

/** Every file that left the folder (moved into processed/ or error/) holds bytes the store read. */
function expectOnlyStoredBytesFinished(t: Setup, store: SqliteStore): void {
  const hashes = new Set(
    (store['db'].prepare('SELECT content_hash AS h FROM files').all() as { h: string }[]).map(
      (r) => r.h,
    ),
  );
  for (const dir of [t.processedDir, t.errorDir])
    for (const n of listDir(dir))
      expect(
        hashes.has(sha(fs.readFileSync(path.join(dir, n)))),
        `${dir}/${n} was never read`,
      ).toBe(true);
}

const changes: {
  what: string;
  before: string;
  change: (file: string) => void;
  /** Sends every version held, all of which must end in the store. */
  ids: string[];
}[] = [
  {
    what: 'replaced by a rename (another size)',
    before: ndjson('1'),
    change: (file) => {
      const tmp = `${path.dirname(file)}/.upload.tmp`;
      fs.writeFileSync(tmp, ndjson('2', '3'));
      age(tmp, 30);
      fs.renameSync(tmp, file);
    },
    ids: ['1', '2', '3'],
  },
  {
    what: 'appended to (a writer that paused at a line break)',
    before: ndjson('1'),
    change: (file) => {
      fs.appendFileSync(file, ndjson('2'));
      age(file, 30);
    },
    ids: ['1', '2'],
  },
  {
    what: 'rewritten in place with the same size and another time',
    before: ndjson('1'),
    change: (file) => {
      fs.writeFileSync(file, ndjson('7'));
      age(file, 30);
    },
    ids: ['1', '7'],
  },
  {
    what: 'truncated and rewritten shorter',
    before: ndjson('1', '2'),
    change: (file) => {
      fs.writeFileSync(file, ndjson('3'));
      age(file, 30);
    },
    ids: ['1', '2', '3'],
  },
];

describe.each(SERVERS)('%s: a file that changes on the server after it was read', (kind) => {
  const sshd = useServer(kind);
  for (const mode of ['move', 'delete', 'keep'] as Mode[]) {
    for (const c of changes) {
      it(`afterIngest ${mode}: ${c.what}: every version's events are stored, none is finished unread`, async () => {
        const t = setupConfig(sshd, { afterIngest: mode });
        dropFile(t.remoteDir, 'a.json', c.before, 60);
        const store = openStore(t);
        try {
          const first = await pollChangingAfterRead(t, store, 'a.json', c.change);
          expectOnlyStoredBytesFinished(t, store);
          const afterFirst = listDir(t.remoteDir);
          const second = await ingestInProcess(t, {}, { store });
          expect(storedIds(store)).toEqual(c.ids);
          expectOnlyStoredBytesFinished(t, store);
          expect([first.fetchErrors, second.fetchErrors]).toEqual([[], []]);
          if (mode !== 'keep') {
            // The changed version was noticed at the finish and went back for the next poll.
            expect(first.changed.map((x) => x.file)).toEqual(['a.json']);
            expect(afterFirst).toContain('a.json');
          }
          if (mode === 'move') expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
          if (mode === 'delete') expect(listDir(t.remoteDir)).toEqual(['error']);
          // Nothing is left half-finished, and no staging name is left behind.
          expect(store.unfinishedFiles()).toEqual([]);
          expect(listDir(t.remoteDir).filter((n) => n.startsWith('.'))).toEqual([]);
        } finally {
          store.close();
        }
      });
    }
  }

  for (const mode of ['move', 'delete'] as const)
    it(`afterIngest ${mode}: a changed version the lost connection left outside the folder goes back, though a new upload took its name`, async () => {
      const t = setupConfig(sshd, { afterIngest: mode });
      dropFile(t.remoteDir, 'a.json', ndjson('1'), 60);
      const store = openStore(t);
      try {
        // B replaces the file after its read; the finish moves B (into processed/, or to the
        // staging name of a delete), finds it is not what was stored, and the connection is
        // lost before B goes back: B waits outside the folder.
        let replaced = false;
        let moves = 0;
        const first = await ingestInProcess(
          t,
          {},
          {
            store,
            wrap: (real) =>
              withFaults(real, {
                read: async (p, ...rest) => {
                  const got = await real.read(p, ...rest);
                  if (!replaced && p.endsWith('/a.json')) {
                    replaced = true;
                    replaceByRename(path.join(t.remoteDir, 'a.json'), ndjson('2', '3'));
                  }
                  return got;
                },
                move: async (from, to) => {
                  if (++moves > 1) throw new SftpError('rename', `${from}: connection lost`);
                  return real.move(from, to);
                },
              }),
          },
        );
        expect(first.finishErrors).toHaveLength(1);
        // Before the next poll, C is uploaded under the same name.
        dropFile(t.remoteDir, 'a.json', ndjson('4', '5', '6'), 40);
        await ingestInProcess(t, {}, { store });
        await ingestInProcess(t, {}, { store });
        expect(storedIds(store)).toEqual(['1', '2', '3', '4', '5', '6']);
        expectOnlyStoredBytesFinished(t, store);
        expect(store.unfinishedFiles()).toEqual([]);
        expect(listDir(t.remoteDir).filter((n) => n.startsWith('.'))).toEqual([]);
      } finally {
        store.close();
      }
    });

  it('afterIngest move: a file whose twin is in processed/ is removed through its staging name, never a new upload that took its name', async () => {
    const t = setupConfig(sshd, { afterIngest: 'move' });
    fs.mkdirSync(t.processedDir, { recursive: true, mode: 0o777 });
    // A re-delivery: processed/ holds the very bytes that arrive again.
    dropFile(t.processedDir, 'a.json', ndjson('1'), 3600);
    dropFile(t.remoteDir, 'a.json', ndjson('1'), 60);
    const store = openStore(t);
    try {
      // The finish finds processed/a.json taken and compares the two; right then, Y is
      // uploaded under the same name.
      let replaced = false;
      await ingestInProcess(
        t,
        {},
        {
          store,
          wrap: (real) =>
            withFaults(real, {
              readHead: async (p, n) => {
                const got = await real.readHead(p, n);
                if (!replaced && p === path.posix.join(t.remoteDir, 'a.json')) {
                  replaced = true;
                  replaceByRename(path.join(t.remoteDir, 'a.json'), ndjson('2', '3'));
                }
                return got;
              },
            }),
        },
      );
      await ingestInProcess(t, {}, { store });
      expect(storedIds(store)).toEqual(['1', '2', '3']);
      expectOnlyStoredBytesFinished(t, store);
      expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
    } finally {
      store.close();
    }
  });

  it('afterIngest keep: a re-upload with the same name, size and time is found by its content', async () => {
    const t = setupConfig(sshd, { afterIngest: 'keep' });
    const file = dropFile(t.remoteDir, 'a.json', ndjson('1'), 60);
    const { mtime } = fs.statSync(file);
    const store = openStore(t);
    try {
      const first = await ingestInProcess(t, {}, { store });
      expect(first.finished.kept).toBe(1);
      // A client that preserves timestamps uploads other bytes of the same length.
      const tmp = path.join(t.remoteDir, '.upload.tmp');
      fs.writeFileSync(tmp, ndjson('2'));
      fs.utimesSync(tmp, mtime, mtime);
      fs.renameSync(tmp, file);
      expect(fs.statSync(file).size).toBe(Buffer.byteLength(ndjson('1')));

      const second = await ingestInProcess(t, {}, { store });
      expect(second.kept).toEqual({ known: 1, rechecked: 1 });
      expect(second.newEvents.messageSend).toBe(1);
      expect(storedIds(store)).toEqual(['1', '2']);
      // Unchanged now: read again, nothing new, nothing doubled.
      const third = await ingestInProcess(t, {}, { store });
      expect(third.kept).toEqual({ known: 1, rechecked: 1 });
      expect([third.fetched, third.duplicates]).toEqual([0, 0]);
    } finally {
      store.close();
    }
  });

  it('afterIngest keep: kept files are read again least recently checked first, in the slots new files leave', async () => {
    const t = setupConfig(sshd, { afterIngest: 'keep' });
    for (const id of ['1', '2', '3'])
      dropFile(t.remoteDir, `k${id}.json`, ndjson(id), 100 - Number(id));
    const store = openStore(t);
    const reads: string[] = [];
    const poll = () =>
      ingestInProcess(
        t,
        { maxFilesPerPoll: 2 },
        {
          store,
          wrap: (real) =>
            withFaults(real, {
              read: (p, ...rest) => {
                reads.push(path.basename(p));
                return real.read(p, ...rest);
              },
            }),
        },
      );
    try {
      // Polls 1 and 2 take the three new files (two, then one: a slot is left for k1).
      await poll();
      expect(reads.splice(0)).toEqual(['k1.json', 'k2.json']);
      await poll();
      expect(reads.splice(0)).toEqual(['k3.json', 'k1.json']);
      // From then on two kept files are read again each poll, the least recently checked.
      // (k2 was last checked by poll 1; k1 and k3 by poll 2, k1 first.)
      const third = await poll();
      expect(third.deferred).toBe(0);
      expect(reads.splice(0).sort()).toEqual(['k1.json', 'k2.json']);
      await poll();
      expect(reads.splice(0).sort()).toEqual(['k1.json', 'k3.json']);
    } finally {
      store.close();
    }
  });

  it('a file written to between the listing and the read waits until it is left alone', async () => {
    const t = setupConfig(sshd);
    const file = dropFile(t.remoteDir, 'a.json', ndjson('1'), 60);
    const store = openStore(t);
    try {
      const s = await ingestInProcess(
        t,
        {},
        {
          store,
          wrap: (real) =>
            withFaults(real, {
              listEach: async (dir, visit) => {
                await real.listEach(dir, visit);
                // Listed as 60 s old; a writer adds a line now, as the poll starts reading.
                fs.appendFileSync(file, ndjson('2'));
              },
            }),
        },
      );
      expect(s.fetched).toBe(0);
      expect(s.waiting.map((w) => w.file)).toEqual(['a.json']);
      expect(listDir(t.remoteDir)).toContain('a.json');
      age(file, 30);
      await ingestInProcess(t, {}, { store });
      expect(storedIds(store)).toEqual(['1', '2']);
    } finally {
      store.close();
    }
  });
});
