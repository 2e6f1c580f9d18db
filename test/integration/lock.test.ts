import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LockedError } from '../../src/errors.js';
import { StoreLock, lockFile, type LockKind } from '../../src/io/lock.js';
import Database from 'better-sqlite3';
import { migrations } from '../../src/io/store/migrations.js';
import { SqliteStore } from '../../src/io/store/index.js';
import { PROJECT_ROOT, runCli, tempDir } from '../helpers/harness.js';

const HOLD = path.join(PROJECT_ROOT, 'test', 'helpers', 'hold-lock.mjs');
const started: ChildProcess[] = [];

afterEach(() => {
  for (const c of started.splice(0)) {
    try {
      process.kill(-(c.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Starts `command` in its own process group; resolves with the pid a holder printed. */
function startHolder(command: string, args: string[]): Promise<number> {
  const child = spawn(command, args, { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /locked (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code} before locking`)));
  });
}

const processState = (pid: number): string | undefined => {
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state letter follows the command name.
    return /\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
};

async function until<T>(what: string, fn: () => T | undefined | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A config for a store in `dir` that needs no server (export and status only). */
function localConfig(dir: string, db: string, busyTimeoutMs = 10_000): string {
  const config = path.join(dir, 'config.json');
  fs.writeFileSync(
    config,
    JSON.stringify({
      sftp: {
        username: 'u',
        password: 'p',
        hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
      },
      database: { path: db, busyTimeoutMs },
      export: { dir: path.join(dir, 'exports') },
    }),
    { mode: 0o600 },
  );
  return config;
}

/** A holder of `kind`, run with --expose-gc: it collects garbage while it holds the lock. */
const hold = (db: string, kind: LockKind) =>
  startHolder(process.execPath, ['--expose-gc', HOLD, db, kind]);

describe.each(['write', 'service'] as const)('the %s lock', (kind) => {
  it('refuses a second live process, naming the holder, and is free when the holder stops', async () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    const holder = await hold(db, kind);
    // The holder has collected garbage since it took the lock: it holds it still.
    await new Promise((r) => setTimeout(r, 300));
    let refused: unknown;
    try {
      StoreLock.tryAcquire(db, kind).release();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).pid).toBe(holder);
    expect((refused as Error).message).toContain(`in use by process ${holder}`);
    // The other lock is a different one: free.
    StoreLock.tryAcquire(db, kind === 'write' ? 'service' : 'write').release();

    process.kill(holder, 'SIGTERM');
    await until('the holder to exit', () => processState(holder) === undefined);
    StoreLock.tryAcquire(db, kind).release();
  });

  it('is one lock for a store reached through a symlink, to the file or to its folder', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'webio.sqlite');
    fs.writeFileSync(db, '');
    fs.symlinkSync(db, path.join(dir, 'link.sqlite'));
    fs.symlinkSync(dir, path.join(dir, 'folder-link'));
    const holder = await hold(path.join(dir, 'link.sqlite'), kind);
    for (const name of [db, path.join(dir, 'folder-link', 'link.sqlite')]) {
      let refused: unknown;
      try {
        StoreLock.tryAcquire(name, kind).release();
      } catch (err) {
        refused = err;
      }
      expect((refused as LockedError | undefined)?.pid, name).toBe(holder);
    }
  });

  it('stays held when another part of the holding process is refused it', async () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    const held = StoreLock.tryAcquire(db, kind);
    try {
      // The refused try opens the lock file and closes it again. Had it opened the file
      // outside SQLite, that close would drop this process's lock (POSIX locks belong to the
      // process): another process would then get it.
      expect(() => StoreLock.tryAcquire(db, kind)).toThrow(LockedError);
      await expect(hold(db, kind)).rejects.toThrow('before locking');
    } finally {
      held.release();
    }
  });

  it('replaces the pid file an earlier version left under its name', () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    fs.writeFileSync(lockFile(db, kind), '4242\n');
    const lock = StoreLock.tryAcquire(db, kind);
    lock.release();
    expect(fs.readFileSync(lockFile(db, kind)).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('is free at once when its holder is killed and left a zombie by a parent that never reaps', async () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    // The shell starts the holder in the background, then becomes `sleep`, which never
    // calls wait(): the killed holder stays a zombie, and kill(pid, 0) still answers for it.
    const holder = await startHolder('/bin/sh', [
      '-c',
      `${JSON.stringify(process.execPath)} --expose-gc ${JSON.stringify(HOLD)} ${JSON.stringify(db)} ${kind} & exec sleep 60`,
    ]);
    expect(() => StoreLock.tryAcquire(db, kind)).toThrow(LockedError);
    process.kill(holder, 'SIGKILL');
    await until('the holder to become a zombie', () => processState(holder) === 'Z');
    expect(() => process.kill(holder, 0)).not.toThrow();
    // The thread-group leader shows 'Z' while its other threads may still be exiting (their
    // descriptors, and the lock, go with the last one): allow that moment, no more. A pid
    // check would refuse for as long as the zombie exists.
    const lock = await until('the lock to be free', () => {
      try {
        return StoreLock.tryAcquire(db, kind);
      } catch (err) {
        if (err instanceof LockedError) return undefined;
        throw err;
      }
    });
    expect(processState(holder)).toBe('Z');
    lock.release();
  });
});

describe('store locks', () => {
  it('lets a writer wait for the write lock up to its limit, then refuses naming the holder', async () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    const holder = await hold(db, 'write');
    await expect(StoreLock.acquire(db, 'write', { waitMs: 300 })).rejects.toThrow(
      `in use by process ${holder}, which is writing to it`,
    );
    // A patient writer gets the lock as soon as the holder is gone (here: killed outright).
    const waiting = StoreLock.acquire(db, 'write', { waitMs: 30_000 });
    process.kill(holder, 'SIGKILL');
    (await waiting).release();
  });

  it('waits its turn, never fails, while another process takes and lets go of the lock in a loop', async () => {
    // As an analyst's command does while the service takes the write lock around every job:
    // the holder's commit of its pid briefly keeps readers out of the lock file, and a waiting
    // writer must wait through that moment too, not fail with SQLITE_BUSY.
    const db = path.join(tempDir(), 'webio.sqlite');
    await startHolder(process.execPath, [
      path.join(PROJECT_ROOT, 'test', 'helpers', 'churn-lock.mjs'),
      db,
    ]);
    const failures: string[] = [];
    for (let i = 0; i < 300; i++) {
      try {
        (await StoreLock.acquire(db, 'write', { waitMs: 10_000 })).release();
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    expect(failures).toEqual([]);
  });

  it('lets `export` run beside a service, waits for a write, and refuses a second service', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'webio.sqlite');
    const config = localConfig(dir, db, 500);
    new SqliteStore({ path: db, busyTimeoutMs: 100, exportTimeZone: 'UTC' }).close();
    const service = await hold(db, 'service');
    // A service holding only its own lock (idle between jobs) does not stop a command.
    const exported = await runCli(['export', '--config', config, '--date', '2026-01-05']);
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(fs.existsSync(path.join(dir, 'exports', 'sends', 'sends-2026-01-05.csv'))).toBe(true);
    // A second service is refused at once, naming the first.
    const second = await runCli(['run', '--config', config]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`in use by process ${service}, a service (\`run\`)`);
    // A job holding the write lock longer than database.busyTimeoutMs (500 ms): refused.
    const writer = await hold(db, 'write');
    const busy = await runCli(['export', '--config', config, '--date', '2026-01-05']);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain(`in use by process ${writer}, which is writing to it`);
    expect(busy.stderr).toContain('database.busyTimeoutMs (500 ms)');
  });

  it('ignores a stale lock file that names a live, unrelated process', () => {
    const db = path.join(tempDir(), 'webio.sqlite');
    // What an earlier version left behind, naming a pid that was reused after a reboot:
    // here, this very test runner's parent, which is alive.
    fs.writeFileSync(`${db}.lock`, `${process.ppid}\n`);
    const first = StoreLock.tryAcquire(db);
    first.release();
    // A lock file of this version whose recorded holder is alive but holds nothing.
    const again = StoreLock.tryAcquire(db);
    again.release();
    expect(fs.statSync(`${db}.lock`).mode & 0o777).toBe(0o600);
    StoreLock.tryAcquire(db, 'service').release();
    expect(fs.statSync(lockFile(db, 'service')).mode & 0o777).toBe(0o600);
  });

  it('lets status read the store while both locks are held, and status never migrates', async () => {
    const dir = tempDir();
    const db = path.join(dir, 'webio.sqlite');
    const config = path.join(dir, 'config.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        sftp: {
          username: 'u',
          password: 'p',
          hostKeyFingerprint: 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s',
        },
        database: { path: db },
      }),
      { mode: 0o600 },
    );
    new SqliteStore({ path: db, busyTimeoutMs: 100, exportTimeZone: 'UTC' }).close();
    await hold(db, 'write');
    await hold(db, 'service');
    const r = await runCli(['status', '--config', config]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`store: ${db}`);

    // A store left at an older schema is reported, not upgraded, by status.
    const old = path.join(dir, 'old.sqlite');
    const raw = new Database(old);
    raw.exec(migrations[0]?.sql ?? '');
    raw.pragma('user_version = 1');
    raw.close();
    fs.writeFileSync(
      config,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(config, 'utf8')), database: { path: old } }),
    );
    const behind = await runCli(['status', '--config', config]);
    expect(behind.code).toBe(1);
    expect(behind.stderr).toContain('has schema version 1, older than');
    const check = new Database(old, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    check.close();
  });
});
