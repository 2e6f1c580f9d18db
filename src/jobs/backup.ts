import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { AppError, describeError, throwIfStopped } from '../errors.js';
import { checkBackupTarget } from '../io/backup-target.js';
import { checkCopy, openBackupSource } from '../io/store/backup.js';

/** A backup checked and ready to run: the store, and the target as resolved. */
export type BackupPlan = { source: string; target: string };

/** What a backup wrote. */
export type BackupResult = BackupPlan & { bytes: number; seconds: number };

/**
 * Checks a backup before it starts: the store exists, and the target is not, and does not
 * link to, one of the store's own files, and its folder exists.
 */
export function planBackup(config: Config, to: string): BackupPlan {
  const source = config.database.path;
  if (!fs.existsSync(source))
    throw new AppError('BACKUP', `the store ${source} does not exist yet; nothing to back up`);
  return { source, target: checkBackupTarget(to, source) };
}

/**
 * A consistent copy of the store by SQLite's online backup, safe while `run` is ingesting (it
 * takes no lock of ours and only reads). Written beside the target under a temp name, mode
 * 0600, as one self-contained file (no -wal or -shm), checked, then renamed over it. A fired
 * `signal` stops the copy between two steps; the temp copy is removed and the target is as
 * it was.
 */
export async function backupStore(plan: BackupPlan, signal?: AbortSignal): Promise<BackupResult> {
  const { source, target } = plan;
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  const started = Date.now();
  const db = openBackupSource(source);
  try {
    // The copy holds every customer's messages: private from its first byte.
    fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
    await db.copyTo(tmp, () => throwIfStopped(signal));
    fs.chmodSync(tmp, 0o600);
    checkCopy(tmp);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AppError('BACKUP', `backup of ${source} to ${target} failed: ${describeError(err)}`, {
      cause: err,
    });
  } finally {
    db.close();
    // Whatever happened, no side file of the temp copy stays behind.
    for (const side of ['-wal', '-shm', '-journal']) fs.rmSync(`${tmp}${side}`, { force: true });
  }
  return {
    source,
    target,
    bytes: fs.statSync(target).size,
    seconds: (Date.now() - started) / 1000,
  };
}
