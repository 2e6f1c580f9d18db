import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { CLI, PROJECT_ROOT, listDir, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const FILES = 25_000;
const PER_POLL = 5_000;
const sshd = useSshd();

describe('a backlog of 25,000 files', () => {
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
    // With the node flag the service runs with (ecosystem.config.js).
    const run = spawnSync(
      process.execPath,
      [
        '--max-semi-space-size=4',
        path.join(PROJECT_ROOT, 'test', 'helpers', 'poll-loop.mjs'),
        t.configFile,
        String(polls),
      ],
      { encoding: 'utf8', timeout: 400_000 },
    );
    expect(run.stderr).toBe('');
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { fetched: number; deferred: number; rssMB: number });
    expect(lines.map((l) => l.fetched)).toEqual([...Array(FILES / PER_POLL).fill(PER_POLL), 0]);
    expect(lines.map((l) => l.deferred)).toEqual([20_000, 15_000, 10_000, 5_000, 0, 0]);
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
  }, 300_000); // writing and draining 25,000 files takes half a minute on a busy 2-core box

  it('the service drains an 8,000-file backlog at once, without waiting for schedule ticks', async () => {
    // The poll schedule fires once a year: every file must be taken by the poll at start
    // and the polls that follow it immediately while files are left (2,000 a poll).
    const t = setupConfig(
      sshd,
      { maxFilesPerPoll: 2000 },
      { schedule: { poll: '0 0 1 1 *', export: '0 0 1 1 *' } },
    );
    const files = generateSampleFiles({
      files: 8_000,
      nowMs: Date.UTC(2026, 0, 10),
      days: 10,
      seed: 5,
      extras: false,
      indent: 0,
    });
    const old = new Date(Date.UTC(2026, 0, 10));
    for (const f of files) {
      const p = path.join(t.remoteDir, f.name);
      fs.writeFileSync(p, f.content);
      fs.utimesSync(p, old, old);
    }
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    try {
      const deadline = Date.now() + 240_000;
      while (listDir(t.processedDir).length < files.length) {
        if (Date.now() > deadline) throw new Error(`only ${listDir(t.processedDir).length} moved`);
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
    const db = new Database(t.config.database.path, { readonly: true });
    const polls = db
      .prepare(
        `SELECT json_extract(summary, '$.fetched') AS fetched FROM runs WHERE kind = 'ingest' ORDER BY id`,
      )
      .all() as { fetched: number }[];
    db.close();
    // Four slices of 2,000 one after the other; no tick of the schedule came in between.
    expect(polls.map((p) => p.fetched)).toEqual([2000, 2000, 2000, 2000]);
  });
});
