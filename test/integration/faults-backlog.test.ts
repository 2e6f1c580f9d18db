import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { PROJECT_ROOT, listDir, setupConfig } from '../helpers/harness.js';
import { startSshd, type Sshd } from '../helpers/sshd.mjs';

const FILES = 100_000;
const PER_POLL = 20_000;
let sshd: Sshd;
beforeAll(async () => {
  sshd = await startSshd();
});
afterAll(() => sshd?.stop());

describe('a backlog of 100,000 files', () => {
  it('drains in bounded polls with flat memory, taking every file exactly once', () => {
    const t = setupConfig(sshd, { maxFilesPerPoll: PER_POLL });
    const files = generateSampleFiles({
      files: FILES,
      nowMs: Date.UTC(2026, 0, 10),
      days: 30,
      seed: 21,
      extras: false,
      indent: 0,
    });
    const old = new Date(Date.UTC(2026, 0, 10));
    for (const f of files) {
      const p = path.join(t.remoteDir, f.name);
      fs.writeFileSync(p, f.content);
      fs.utimesSync(p, old, old);
    }
    const polls = FILES / PER_POLL + 1;
    const run = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, 'test', 'helpers', 'poll-loop.mjs'), t.configFile, String(polls)],
      { encoding: 'utf8', timeout: 400_000 },
    );
    expect(run.stderr).toBe('');
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fetched: number; deferred: number; rssMB: number });
    expect(lines.map((l) => l.fetched)).toEqual([...Array(FILES / PER_POLL).fill(PER_POLL), 0]);
    expect(lines.map((l) => l.deferred)).toEqual([80_000, 60_000, 40_000, 20_000, 0, 0]);
    // Memory is flat: the last polls use no more than the first (plus allocator slack).
    const first = lines[0]?.rssMB ?? 0;
    const last = lines[lines.length - 1]?.rssMB ?? 0;
    console.log(
      `backlog: peak RSS ${lines.map((l) => l.rssMB).join(' → ')} MB over ${lines.length} polls`,
    );
    expect(last - first).toBeLessThan(64);
    // Well under the service's restart threshold (max_memory_restart 512M in ecosystem.config.js).
    expect(last).toBeLessThan(384);

    expect(listDir(t.remoteDir)).toEqual(['error', 'processed']);
    expect(listDir(t.processedDir)).toHaveLength(FILES);
    const db = new Database(t.config.database.path, { readonly: true });
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    expect(n('SELECT count(*) AS n FROM files')).toBe(FILES);
    expect(n('SELECT count(DISTINCT name) AS n FROM files')).toBe(FILES);
    expect(n(`SELECT count(*) AS n FROM files WHERE finish = 'moved'`)).toBe(FILES);
    db.close();
  });
});
