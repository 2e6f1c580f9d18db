import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { json } from '../fixtures/webio.js';
import {
  CLI,
  PROJECT_ROOT,
  dropFile,
  runCli,
  setupConfig,
  tempDir,
  type TestSetup,
} from '../helpers/harness.js';
import { findNumber } from '../helpers/no-byte-left.js';
import { useSshd } from '../helpers/use-sshd.js';

const sshd = useSshd();
const CRASH = path.join(PROJECT_ROOT, 'test', 'helpers', 'crash-erase.mjs');
const HOLD_READ = path.join(PROJECT_ROOT, 'test', 'helpers', 'hold-read.mjs');
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
});

const A = '447700911111'; // the customer to erase
const B = '447700922222'; // another, who stays
const DAYS = ['2021-07-02', '2021-07-03', '2021-07-04'];

const send = (id: string, to: string, date: string, body = 'Hello') => ({
  type: 'messageSend',
  communicationActionId: id,
  conversationId: `c-${id}`,
  outboundChannelAddress: to,
  inboundChannelAddress: 'SMS',
  customerUID: '',
  body,
  statusCode: '1',
  dateCreated: date,
});

/** A's sends on three days, B's on the same days; ingested and exported. */
async function customersOnThreeDays(t: TestSetup, bBody = 'Hello'): Promise<void> {
  DAYS.forEach((day, i) => {
    dropFile(t.remoteDir, `a${i}.json`, json(send(`a${i}`, `+${A}`, `${day} 09:00:00.000`)));
    dropFile(t.remoteDir, `b${i}.json`, json(send(`b${i}`, `+${B}`, `${day} 10:00:00.000`, bBody)));
  });
  expect((await runCli(['ingest', '--config', t.configFile])).code).toBe(0);
  const exp = ['export', '--config', t.configFile, '--from', DAYS[0]!, '--to', DAYS[2]!];
  expect((await runCli(exp)).code).toBe(0);
  expect(findNumber([t.config.export.dir], A)).not.toEqual([]);
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

/** The erasures journal, as the store holds it. */
function journal(t: TestSetup) {
  const db = new Database(t.config.database.path, { readonly: true });
  try {
    return db
      .prepare(
        'SELECT pending_days AS days, vacuum_pending AS vacuum, checkpoint_pending AS checkpoint, finished_at AS finished FROM erasures ORDER BY id',
      )
      .all() as { days: string; vacuum: number; checkpoint: number; finished: number | null }[];
  } finally {
    db.close();
  }
}

/** Every file of the test's store folder and exports (the config holds no number). */
const everything = (t: TestSetup) => [t.local];

describe('an erase that cannot give its guarantee', () => {
  it('exits non-zero while another process holds a read transaction, says what is left and where, and a rerun after the reader stops finishes it', async () => {
    const t = setupConfig(sshd);
    // A short busy timeout: the erase waits that long for the reader before it gives up.
    const raw = { ...t.raw, database: { path: t.config.database.path, busyTimeoutMs: 300 } };
    fs.writeFileSync(t.configFile, JSON.stringify(raw), { mode: 0o600 });
    await customersOnThreeDays(t);
    const reader = spawn(process.execPath, [HOLD_READ, t.config.database.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve) =>
        reader.stdout.on('data', (d: Buffer) => d.toString().includes('reading') && resolve()),
      );
      const r = await runCli(['erase', '--config', t.configFile, '--address', `+${A}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('holds a read transaction');
      expect(r.stderr).toContain(`${t.config.database.path}-wal`);
      expect(r.stderr).toContain('stop that reader and run `webio-reports erase` again');
      // It is true: the number is still on disk, beside the store.
      expect(findNumber([t.local], A)).not.toEqual([]);
      expect(journal(t)).toMatchObject([{ days: '[]', vacuum: 0, checkpoint: 1, finished: null }]);
      const status = await runCli(['status', '--config', t.configFile, '--json']);
      expect(JSON.parse(status.stdout).warnings).toContainEqual(
        expect.stringContaining('an erasure is not finished (its WAL to empty)'),
      );
    } finally {
      reader.kill('SIGKILL');
      await new Promise((r) => reader.once('exit', r));
    }
    const again = await runCli(['erase', '--config', t.configFile]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(findNumber(everything(t), A)).toEqual([]);
    expect(findNumber([t.config.database.path], B)).not.toEqual([]);
    expect(journal(t)[0]?.finished).not.toBeNull();
    // Checked with the address: every byte of the store and export.dir.
    const check = await runCli(['erase', '--config', t.configFile, '--address', A, '--json']);
    expect(check.code).toBe(0);
    expect(JSON.parse(check.stdout).check).toMatchObject({ left: [], explained: [] });
  });

  it('stopped by a full disk during VACUUM, exits non-zero saying so, and a rerun once there is space finishes it, CSV days included', async () => {
    const disk = tempDir('webio-disk-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=6144k', 'tmpfs', disk]);
    mounts.push(disk);
    const t = setupConfig(sshd, {}, { database: { path: path.join(disk, 'webio.sqlite') } });
    // B's long messages make the store a few MB: a rebuild needs about that much free.
    await customersOnThreeDays(t, 'x'.repeat(300_000));
    // Leave about 600 KB: enough for the erasure's transaction, not for the rebuild.
    const filler = fill(disk, 600_000);
    const r = await runCli(['erase', '--config', t.configFile, '--address', `+${A}`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not be rebuilt (VACUUM');
    expect(r.stderr).toContain('free disk space');
    expect(journal(t)).toMatchObject([{ vacuum: 1, finished: null }]);

    fs.rmSync(filler);
    const again = await runCli(['erase', '--config', t.configFile, '--address', `+${A}`]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(findNumber([t.local, disk], A)).toEqual([]);
    expect(journal(t).every((j) => j.finished !== null)).toBe(true);
  });
});

describe('an erase killed with SIGKILL', () => {
  const kill = (t: TestSetup, point: string) => {
    const crashed = spawnSync(
      process.execPath,
      [CRASH, point, 'erase', '--config', t.configFile, '--address', `+${A}`],
      { encoding: 'utf8', cwd: PROJECT_ROOT },
    );
    expect(crashed.signal).toBe('SIGKILL');
    expect(journal(t).some((j) => j.finished === null)).toBe(true);
  };

  it.each([
    // The transaction committed; nothing else done: every day still holds the number.
    ['after-commit', ['erase']],
    // Two of the fifteen files of the three days written again, then killed.
    ['rewrite:2', ['erase', '--address', '+44 7700 900000']],
    // Every day written again; the store not yet rebuilt.
    ['before-vacuum', ['ingest']],
  ])('at %s is finished by `%s`', async (point, finisher) => {
    const t = setupConfig(sshd);
    await customersOnThreeDays(t);
    kill(t, point);
    const r = await runCli([...finisher, '--config', t.configFile]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(findNumber(everything(t), A)).toEqual([]);
    expect(findNumber([t.config.database.path], B)).not.toEqual([]);
    expect(journal(t).every((j) => j.finished !== null && j.days === '[]')).toBe(true);
    // B's rows are still in every day's file.
    for (const day of DAYS)
      expect(
        fs.readFileSync(path.join(t.config.export.dir, 'sends', `sends-${day}.csv`), 'utf8'),
      ).toContain(B);
  });

  it('after the commit is finished by the service when it starts (run)', async () => {
    const t = setupConfig(sshd, {}, { schedule: { poll: '0 0 1 1 *', export: '0 0 1 1 *' } });
    await customersOnThreeDays(t);
    kill(t, 'after-commit');
    const service = spawn(process.execPath, [CLI, 'run', '--config', t.configFile], {
      cwd: PROJECT_ROOT,
      stdio: 'ignore',
    });
    try {
      // Wait for the journal to say it is done (the store is read, never timed).
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        if (journal(t).every((j) => j.finished !== null)) break;
      }
    } finally {
      service.kill('SIGTERM');
      await new Promise((r) => service.once('exit', r));
    }
    expect(findNumber(everything(t), A)).toEqual([]);
  });
});
