import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { messageSend } from '../fixtures/webio.js';
import { runCli, tempDir } from '../helpers/harness.js';
import { ingestEvents } from '../helpers/store.js';
import { SqliteStore } from '../../src/io/store/index.js';

/** A store and a config for `export` (no server needed). */
function setup() {
  const dir = tempDir();
  const db = path.join(dir, 'webio.sqlite');
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      sftp: { username: 'nobody' },
      database: { path: db },
      export: { dir: path.join(dir, 'exports'), timezone: 'Europe/London' },
    }),
  );
  return { dir, db, config, exportsDir: path.join(dir, 'exports') };
}

describe('the days `export` writes', () => {
  it('refuses a day after tomorrow with exit code 2 and writes nothing', async () => {
    const t = setup();
    const r = await runCli(['export', '--config', t.config, '--date', '2030-01-01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^webio-reports: --date 2030-01-01 is after tomorrow \(\d{4}-\d\d-\d\d in Europe\/London, export\.timezone\)/,
    );
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(fs.existsSync(t.exportsDir)).toBe(false);
    const range = await runCli([
      'export',
      '--config',
      t.config,
      '--from',
      '2025-12-01',
      '--to',
      '2030-12-01',
    ]);
    expect(range.code).toBe(2);
    expect(range.stderr).toContain('--to 2030-12-01 is after tomorrow');
  });

  it('says how many days a range writes, and how many of them hold no rows', async () => {
    const t = setup();
    const store = new SqliteStore({
      path: t.db,
      busyTimeoutMs: 1000,
      exportTimeZone: 'Europe/London',
    });
    ingestEvents(store, [{ ...messageSend, dateCreated: '2026-01-10 12:00:00.000' }]);
    store.close();
    const r = await runCli([
      'export',
      '--config',
      t.config,
      '--from',
      '2026-01-01',
      '--to',
      '2026-01-30',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // 1 to 30 January: 30 days, the send on one of them, 29 with header-only files.
    expect(r.stdout.split('\n')[0]).toMatch(
      /^export: 30 days, first 2026-01-01, last 2026-01-30 \(29 of them with no rows: header-only files\), 150 files written in /,
    );
  });
});
