import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { addDays, dayInZone, daysBetween } from '../../src/core/days.js';
import { json, messageSend } from '../fixtures/webio.js';
import { dropFile, listDir, runCli, setupConfig } from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();

const DAY = 86_400_000;
const webioDate = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

describe('retention', () => {
  it('purges old server files only in processed/ and error/, old CSV days, and old store events, leaving written CSVs as they are', async () => {
    const t = setupConfig(
      sshd,
      {},
      { retention: { processedDays: 30, errorDays: 10, exportDays: 45, storeDays: 20 } },
    );
    const now = Date.now();
    const at = (daysAgo: number) => now - daysAgo * DAY;
    const send = (id: string, daysAgo: number) =>
      json({ ...messageSend, communicationActionId: id, dateCreated: webioDate(at(daysAgo)) });
    dropFile(t.remoteDir, 'old60.json', send('s60', 60));
    dropFile(t.remoteDir, 'old30.json', send('s30', 30));
    dropFile(t.remoteDir, 'new1.json', send('s1', 1));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const tz = t.config.export.timezone;
    const day = (daysAgo: number) => dayInZone(at(daysAgo), tz);
    const exp = await runCli([
      'export',
      '--config',
      t.configFile,
      '--from',
      day(60),
      '--to',
      day(1),
    ]);
    expect(exp.code).toBe(0);
    const csv = (report: string, d: string) =>
      path.join(t.config.export.dir, report, `${report}-${d}.csv`);
    const day30 = fs.readFileSync(csv('sends', day(30)));

    // Server: processed/ holds files moved there (their upload times kept) plus an old
    // one; error/ an old and a new one; the watched folder an old file nobody may delete.
    dropFile(t.processedDir, 'ancient.json', '{}', 40 * 86_400);
    dropFile(t.errorDir, 'bad-old.json', '{', 11 * 86_400);
    dropFile(t.errorDir, 'bad-new.json', '{', 9 * 86_400);
    dropFile(t.remoteDir, 'waiting-old.json.part', '{', 90 * 86_400);
    const processedBefore = listDir(t.processedDir);

    const dry = await runCli(['purge', '--config', t.configFile, '--dry-run', '--json']);
    expect(dry.code).toBe(0);
    const d = JSON.parse(dry.stdout);
    expect(d.server.processed.map((p: string) => path.basename(p))).toEqual(['ancient.json']);
    expect(d.server.error.map((p: string) => path.basename(p))).toEqual(['bad-old.json']);
    // The export wrote every day from 60 days ago to yesterday; the days before the day 45
    // days ago are older than exportDays (45): 15 days × 5 reports, or 14 when "60 days ago"
    // falls on the next calendar day in London (late evening UTC, 60 days back in summer time).
    const oldest = addDays(day(0), -45);
    expect(d.exports).toHaveLength(daysBetween(day(60), addDays(oldest, -1)).length * 5);
    expect([70, 75]).toContain(d.exports.length);
    expect(d.exports.every((p: string) => p.slice(-14, -4) < oldest)).toBe(true);
    // The sends 60 and 30 days ago are older than storeDays (20).
    expect(d.store.sends).toBe(2);
    // A dry run removed nothing.
    expect(listDir(t.processedDir)).toEqual(processedBefore);
    expect(fs.existsSync(csv('sends', day(60)))).toBe(true);

    const real = await runCli(['purge', '--config', t.configFile]);
    expect(real.stderr).toBe('');
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('removed 2 sends');
    expect(listDir(t.processedDir)).toEqual(processedBefore.filter((n) => n !== 'ancient.json'));
    expect(listDir(t.errorDir)).toEqual(['bad-new.json']);
    expect(listDir(t.remoteDir)).toContain('waiting-old.json.part');
    expect(fs.existsSync(csv('sends', day(60)))).toBe(false);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(t.config.export.dir, 'manifest.json'), 'utf8'),
    );
    expect(manifest.files.some((f: { day: string }) => f.day === day(60))).toBe(false);

    const db = new Database(t.config.database.path, { readonly: true });
    const ids = db.prepare('SELECT communication_action_id AS id FROM sends').all();
    db.close();
    expect(ids).toEqual([{ id: 's1' }]);

    // Exporting a day whose events left the store leaves its files exactly as written.
    const again = await runCli(['export', '--config', t.configFile, '--date', day(30)]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`left as written`);
    expect(fs.readFileSync(csv('sends', day(30)))).toEqual(day30);
  });
});
