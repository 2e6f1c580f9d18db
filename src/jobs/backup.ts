import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { AppError, describeError, throwIfStopped } from '../errors.js';
import { checkBackupTarget } from '../io/backup-target.js';
import { copyDatabase } from '../io/store/backup.js';

/** What a backup wrote. */
export type BackupResult = { source: string; target: string; bytes: number; seconds: number };

/**
 * A consistent copy of the store by SQLite's online backup, safe while `run` is ingesting (it
 * takes no lock of ours and only reads). Refuses a target that is, or links to, one of the
 * store's own files, or whose folder does not exist. Written beside the target under a temp
 * name, mode 0600, as one self-contained file (no -wal or -shm), checked, then renamed over
 * it. A fired `signal` stops the copy between two steps; the temp copy is removed and the
 * target is as it was.
 */
export async function backupStore(
  config: Config,
  to: string,
  signal?: AbortSignal,
): Promise<BackupResult> {
  const source = config.database.path;
  if (!fs.existsSync(source))
    throw new AppError('BACKUP', `the store ${source} does not exist yet; nothing to back up`);
  const target = checkBackupTarget(to, source);
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  const started = Date.now();
  try {
    // The copy holds every customer's messages: private from its first byte.
    fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
    await copyDatabase(source, tmp, () => throwIfStopped(signal));
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AppError('BACKUP', `backup of ${source} to ${target} failed: ${describeError(err)}`, {
      cause: err,
    });
  } finally {
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
