import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.js';
import { AppError, describeError, throwIfStopped } from '../errors.js';
import { checkBackupTarget } from '../io/backup-target.js';
import { StopSignals, type CommonOptions, type Output } from './context.js';

/**
 * `backup --to FILE`: a consistent copy of the store by SQLite's online backup, safe while
 * `run` is ingesting (it takes no lock of ours and only reads). Refuses a FILE that is, or
 * links to, one of the store's own files, or whose folder does not exist. Written beside
 * FILE under a temp name, mode 0600, as one self-contained file (no -wal or -shm), checked,
 * then renamed over it.
 */
export async function backupCommand(
  opts: CommonOptions & { to?: string },
  output: Output,
): Promise<number> {
  if (!opts.to) throw new AppError('USAGE', 'backup needs --to FILE', { exitCode: 2 });
  const config = loadConfig(opts.config, process.env, { needsSftp: false });
  const source = config.database.path;
  if (!fs.existsSync(source))
    throw new AppError('BACKUP', `the store ${source} does not exist yet; nothing to back up`);
  const target = checkBackupTarget(opts.to, source);
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  const started = Date.now();
  const db = new Database(source, { readonly: true, fileMustExist: true });
  const stop = new StopSignals().watch();
  try {
    // The copy holds every customer's messages: private from its first byte.
    fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
    // A signal stops the copy between two steps; the temp copy is removed below.
    await db.backup(tmp, {
      progress: () => {
        throwIfStopped(stop.signal);
        return 100;
      },
    });
    fs.chmodSync(tmp, 0o600);
    checkCopy(tmp);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw (
      stop.stopped(`no copy was written; ${target} is as it was`) ??
      new AppError('BACKUP', `backup of ${source} to ${target} failed: ${describeError(err)}`, {
        cause: err,
      })
    );
  } finally {
    stop.release();
    db.close();
    // Whatever happened, no side file of the temp copy stays behind.
    for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(`${tmp}${side}`, { force: true });
  }
  const bytes = fs.statSync(target).size;
  const seconds = (Date.now() - started) / 1000;
  output.out(
    opts.json
      ? JSON.stringify({ source, target, bytes, seconds })
      : `backup: ${source} → ${target} (${bytes} bytes, ${seconds.toFixed(2)} s); restore by stopping the service and copying it over ${source} (remove ${source}-wal and ${source}-shm first)`,
  );
  return 0;
}

/**
 * Makes the copy one self-contained file and checks it. The copy carries the store's WAL
 * mode; in rollback-journal mode it needs no -wal or -shm beside it, so opening it (here,
 * or later to inspect it) leaves none (the service turns WAL on again when it opens a
 * restored store).
 */
function checkCopy(file: string): void {
  const copy = new Database(file, { fileMustExist: true });
  let check: unknown;
  try {
    copy.pragma('journal_mode = DELETE');
    check = copy.pragma('quick_check', { simple: true });
  } finally {
    copy.close();
  }
  if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`);
}
