/**
 * erase's byte check reads the store's own files. POSIX drops every lock a process holds on
 * a file when it closes any descriptor of that file: read in the process that holds the
 * store, the check would free the write lock while erase still runs, and let another
 * connection that closes delete the WAL under the store. The check reads them in a child
 * process; the second half shows what reading them in-process does.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { addressKey } from '../../src/core/address.js';
import { scanFilesForAddress } from '../../src/io/address-scan.js';
import { StoreLock, lockFile } from '../../src/io/lock.js';
import { PROJECT_ROOT } from '../helpers/harness.js';
import { freshStore, ingestEvents } from '../helpers/store.js';

// The child process runs the built module: a child cannot run the TypeScript source.
const built = (await import(
  pathToFileURL(path.join(PROJECT_ROOT, 'dist', 'io', 'address-scan.js')).href
)) as typeof import('../../src/io/address-scan.js');

/** Another process: tries the write lock, then opens the store, reads and closes it. */
function probe(db: string): string {
  const lockModule = pathToFileURL(path.join(PROJECT_ROOT, 'dist', 'io', 'lock.js')).href;
  const script = `
    import Database from 'better-sqlite3';
    const { StoreLock } = await import(${JSON.stringify(lockModule)});
    let got;
    try { StoreLock.tryAcquire(process.argv[1], 'write').release(); got = 'got the lock'; }
    catch { got = 'refused'; }
    const db = new Database(process.argv[1]);
    db.prepare('SELECT count(*) FROM sends').get();
    db.close();
    process.stdout.write(got);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, db], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`probe failed: ${r.stderr}`);
  return r.stdout;
}

describe("erase's byte check of the store's own files", () => {
  it('keeps the write lock held and the WAL in place; reading them in-process would lose both', async () => {
    const { store, dir } = freshStore();
    ingestEvents(store, [
      {
        type: 'messageSend',
        communicationActionId: 'S1',
        outboundChannelAddress: '+447700900123',
        dateCreated: '2021-07-02 09:00:00.000',
      },
    ]);
    const db = path.join(dir, 'webio.sqlite');
    const wal = `${db}-wal`;
    const lock = StoreLock.tryAcquire(db, 'write');
    const files = [db, wal, `${db}-shm`, lockFile(db, 'write')];
    const key = addressKey('+447700900123');
    try {
      expect(fs.statSync(wal).size).toBeGreaterThan(0);
      const scan = await built.scanFilesKeepingLocks(files, key, files);
      expect(scan.files).toBe(4);
      // The send is in the WAL (not yet checkpointed into the database file).
      expect(scan.found.map((f) => f.file)).toContain(wal);
      expect(probe(db)).toBe('refused');
      expect(fs.existsSync(wal)).toBe(true);

      await scanFilesForAddress(files, key);
      expect(probe(db)).toBe('got the lock');
      expect(fs.existsSync(wal)).toBe(false);
    } finally {
      lock.release();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
