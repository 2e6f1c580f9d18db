import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, dayInZone } from '../../src/core/days.js';
import { PROJECT_ROOT, runCli, tempDir } from '../helpers/harness.js';

const CRASH = path.join(PROJECT_ROOT, 'test', 'helpers', 'crash-purge.mjs');
const TZ = 'Europe/London';
const REPORTS = 5;

/** The config of a store in `local` with 12 exported days' files, retention.exportDays 4. */
function writeConfig(local: string): { configFile: string; dir: string } {
  const dir = path.join(local, 'exports');
  const configFile = path.join(local, 'config.json');
  fs.writeFileSync(
    configFile,
    JSON.stringify({
      // Purge checks the SFTP settings, but with no server folder to clean it never connects.
      sftp: {
        username: 'nobody',
        password: 'unused',
        hostKeyFingerprint: `SHA256:${'A'.repeat(43)}`,
      },
      database: { path: path.join(local, 'webio.sqlite') },
      export: { dir, timezone: TZ },
      // No server folder has a retention: purge needs no SFTP server.
      retention: { processedDays: null, exportDays: 4 },
    }),
    { mode: 0o600 },
  );
  return { configFile, dir };
}

/**
 * Made once by `export` (below) in `work`, and kept in `saved`: a store with 12 exported days
 * (60 files). The store records its files by their paths, so each test gets the same folder.
 */
let work: string;
let saved: string;

beforeAll(async () => {
  const base = tempDir();
  work = path.join(base, 'work');
  saved = path.join(base, 'saved');
  fs.mkdirSync(work);
  const { configFile, dir } = writeConfig(work);
  const today = dayInZone(Date.now(), TZ);
  const r = await runCli([
    'export',
    '--config',
    configFile,
    '--from',
    addDays(today, -12),
    '--to',
    addDays(today, -1),
  ]);
  expect(r.code).toBe(0);
  expect(csvFiles(dir)).toHaveLength(12 * REPORTS);
  fs.cpSync(work, saved, { recursive: true });
});

/** The store and its 60 files as `export` left them, 8 days older than retention.exportDays 4. */
function twentyDaysExported(): { configFile: string; dir: string } {
  fs.rmSync(work, { recursive: true, force: true });
  fs.cpSync(saved, work, { recursive: true });
  return { configFile: path.join(work, 'config.json'), dir: path.join(work, 'exports') };
}

/** Every CSV day file under export.dir, relative to it. */
function csvFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.csv'))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const manifestPaths = (dir: string): string[] =>
  (
    JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      files: { path: string }[];
    }
  ).files
    .map((f) => f.path)
    .sort();

/** A small seeded generator (mulberry32), so the "random" kill points are the same each run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 8 days × 5 reports = 40 old files; kill points among them drawn with seed 23.
const next = random(23);
const draw = () => 1 + Math.floor(next() * 8 * REPORTS);
const points = [
  `record:1`,
  `record:${draw()}`,
  `record:${8 * REPORTS}`,
  `after-record:${draw()}`,
  `manifest`,
];

describe('a purge killed with SIGKILL', () => {
  it.each(points.flatMap((p) => [[p, 'purge'] as const, [p, 'export'] as const]))(
    'at %s: the next %s leaves a manifest naming exactly the files on disk',
    async (point, next) => {
      const { configFile, dir } = twentyDaysExported();
      const crashed = spawnSync(process.execPath, [CRASH, point, 'purge', '--config', configFile], {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
      });
      expect(crashed.signal).toBe('SIGKILL');
      const args =
        next === 'purge'
          ? ['purge', '--config', configFile]
          : ['export', '--config', configFile, '--date', addDays(dayInZone(Date.now(), TZ), -1)];
      const r = await runCli(args);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(manifestPaths(dir)).toEqual(csvFiles(dir));
      // No temp file of a killed write is left anywhere.
      const temps = fs
        .readdirSync(dir, { recursive: true })
        .map(String)
        .filter((n) => /\.tmp-[0-9a-f]{16}$/.test(n));
      expect(temps).toEqual([]);
      // After a purge, exactly the 4 recent days are left (20 files).
      if (next === 'purge') expect(csvFiles(dir)).toHaveLength(4 * REPORTS);
    },
  );
});
