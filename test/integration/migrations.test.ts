import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/io/store/migrations.js';
import { SqliteStore } from '../../src/io/store/index.js';
import { freshStore } from '../helpers/store.js';

describe('schema migrations', () => {
  it('4 drops changed days no export can write, and keeps the real ones', () => {
    const { dir } = freshStore();
    const file = path.join(dir, 'old.sqlite');
    // A store at version 3 that ingested "9999-12-31 23:59:59-23:59" before dates were bounded.
    const raw = new Database(file);
    for (const m of migrations.filter((x) => x.version <= 3)) raw.exec(m.sql);
    raw.pragma('user_version = 3');
    const mark = raw.prepare('INSERT INTO dirty_days (day, marked_at) VALUES (?, 0)');
    for (const day of ['+010000-01-01', '1970-01-01', '2026-01-05']) mark.run(day);
    raw.close();

    const reopened = new SqliteStore({ path: file, busyTimeoutMs: 1000, exportTimeZone: 'UTC' });
    expect(reopened.changedDays()).toEqual(['2026-01-05']);
    reopened.close();
  });

  it('5 journals erasures: an erasure recorded before it counts as finished, and nothing is pending', () => {
    const { store, dir } = freshStore();
    const file = path.join(dir, 'webio.sqlite');
    store.close();
    // The store as version 4 left it, with one erasure recorded the old way.
    const raw = new Database(file);
    raw.exec(`DROP INDEX erasures_pending;
      ALTER TABLE erasures DROP COLUMN pending_days; ALTER TABLE erasures DROP COLUMN vacuum_pending;
      ALTER TABLE erasures DROP COLUMN checkpoint_pending; ALTER TABLE erasures DROP COLUMN finished_at;
      ALTER TABLE quarantine DROP COLUMN content_erased_at;
      INSERT INTO erasures (erased_at, counts, days) VALUES (1000, '{}', '["2021-07-02"]');`);
    raw.pragma('user_version = 4');
    raw.close();

    const reopened = new SqliteStore({ path: file, busyTimeoutMs: 1000, exportTimeZone: 'UTC' });
    expect(reopened.pendingErasure()).toBeUndefined();
    expect(reopened.db.prepare('SELECT finished_at, pending_days FROM erasures').all()).toEqual([
      { finished_at: 1000, pending_days: '[]' },
    ]);
    reopened.close();
  });
});
