import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSampleFiles } from '../../src/demo/sample-files.js';
import { json, messageSend } from '../fixtures/webio.js';
import {
  PROJECT_ROOT,
  dropFile,
  listDir,
  runCli,
  setupConfig,
  tempDir,
} from '../helpers/harness.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

/** A small tmpfs of its own: a disk that really fills up (needs root, as in CI). */
function smallDisk(sizeKb: number): string {
  const dir = tempDir('webio-disk-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
  mounts.push(dir);
  return dir;
}

/** Fills the disk until it refuses, then gives back about `leaveBytes`; returns the filler. */
function fill(dir: string, leaveBytes: number): string {
  const filler = path.join(dir, 'filler');
  const fd = fs.openSync(filler, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let size = 0;
  try {
    for (;;) size += fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  fs.ftruncateSync(fd, Math.max(0, size - leaveBytes));
  fs.closeSync(fd);
  return filler;
}

const dated = (id: string, body: string) =>
  json({ ...messageSend, communicationActionId: id, body, dateCreated: '2021-07-02 09:00:00.000' });

describe('a full disk', () => {
  it('export: the old files stay intact, the error is reported, and the day is exported once space returns', async () => {
    const disk = smallDisk(512);
    const t = setupConfig(sshd, {}, { export: { dir: disk, timezone: 'Europe/London' } });
    dropFile(t.remoteDir, 'a.json', dated('1', 'first'));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    expect((await runCli(['export', '--config', t.configFile, '--date', '2021-07-02'])).code).toBe(
      0,
    );
    const file = path.join(disk, 'sends', 'sends-2021-07-02.csv');
    const old = fs.readFileSync(file, 'utf8');

    dropFile(t.remoteDir, 'b.json', dated('2', 'x'.repeat(200_000)));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    const filler = fill(disk, 20_000);
    const failed = await runCli(['export', '--config', t.configFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('no space left on device');
    expect(failed.stderr).toContain(
      'previous files are intact and the days stay marked for the next export',
    );
    expect(fs.readFileSync(file, 'utf8')).toBe(old);
    // No half-written temp file is left behind.
    expect(fs.readdirSync(path.dirname(file)).filter((n) => n.startsWith('.'))).toEqual([]);
    const status = JSON.parse(
      (await runCli(['status', '--config', t.configFile, '--json'])).stdout,
    );
    expect(status.pendingExportDays).toContain('2021-07-02');
    expect(status.lastExport.ok).toBe(false);

    fs.rmSync(filler);
    const ok = await runCli(['export', '--config', t.configFile]);
    expect(ok.code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('x'.repeat(200_000));
  });

  it('store: the batch rolls back, the files stay on the server, and the next poll after space returns succeeds', async () => {
    const disk = smallDisk(8192);
    const t = setupConfig(sshd, {}, { database: { path: path.join(disk, 'webio.sqlite') } });
    dropFile(t.remoteDir, 'first.json', json(messageSend));
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);

    const files = generateSampleFiles({
      files: 400,
      nowMs: Date.UTC(2026, 0, 10),
      seed: 9,
      extras: false,
      duplicateRate: 0,
      indent: 8,
    });
    files.forEach((f, i) => dropFile(t.remoteDir, f.name, f.content, 3600 - i));
    const filler = fill(disk, 8_192);
    const failed = await runCli(['ingest', '--config', t.configFile]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /store .*webio\.sqlite: (database or disk is full|disk I\/O error).*(free disk space|disk full)/,
    );
    expect(listDir(t.remoteDir).filter((n) => n.endsWith('.json'))).toHaveLength(files.length);

    fs.rmSync(filler);
    const ok = await runCli(['ingest', '--config', t.configFile, '--json']);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).fetched).toBe(files.length);
    expect(listDir(t.processedDir)).toHaveLength(files.length + 1);
    const db = new Database(t.config.database.path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT count(*) AS n FROM files').get() as { n: number }).n).toBe(
      files.length + 1,
    );
    db.close();
  });
});

describe('the database held by another process', () => {
  /**
   * Another process holds a write transaction on the store: for `ms`, or (without `ms`) until
   * the returned release is called, whatever a busy machine does to the timing.
   */
  function holdLock(dbPath: string, ms?: number): Promise<() => Promise<void>> {
    const end = ms === undefined ? `process.stdin.on('end',end).resume()` : `setTimeout(end,${ms})`;
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const D=require('better-sqlite3');const db=new D(${JSON.stringify(dbPath)});db.exec('BEGIN IMMEDIATE');console.log('locked');const end=()=>{db.exec('COMMIT');db.close()};${end}`,
      ],
      { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const done = new Promise<void>((r) => child.on('close', () => r()));
    const release = () => {
      child.stdin.end();
      return done;
    };
    return new Promise((resolve) => child.stdout.once('data', () => resolve(release)));
  }

  it('waits for the busy timeout, then reports and changes nothing; with a longer timeout it waits its turn', async () => {
    const t = setupConfig(
      sshd,
      {},
      { database: { path: path.join(tempDir(), 'webio.sqlite'), busyTimeoutMs: 500 } },
    );
    // A first poll over an empty folder creates the store.
    expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
    dropFile(t.remoteDir, 'send.json', json(messageSend));
    const released = await holdLock(t.config.database.path);
    const busy = await runCli(['ingest', '--config', t.configFile]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('database is locked');
    expect(busy.stderr).toContain('longer than database.busyTimeoutMs');
    expect(listDir(t.remoteDir)).toEqual(['error', 'processed', 'send.json']);
    await released();

    const patient = setupConfig(
      sshd,
      {},
      { database: { path: t.config.database.path, busyTimeoutMs: 15_000 } },
    );
    dropFile(patient.remoteDir, 'send.json', json(messageSend));
    const released2 = await holdLock(t.config.database.path, 1500);
    const waited = await runCli(['ingest', '--config', patient.configFile, '--json']);
    await released2();
    expect(waited.stderr).toBe('');
    expect(waited.code).toBe(0);
    expect(JSON.parse(waited.stdout).newEvents.messageSend).toBe(1);
    const db = new Database(t.config.database.path, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
