import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { loadConfig } from '../config/load.js';
import { AppError, describeError } from '../errors.js';
import type { CommonOptions, Output } from './context.js';

/**
 * `backup --to FILE`: a consistent copy of the store by SQLite's online backup, safe while
 * `run` is ingesting (it takes no lock of ours and only reads). Written beside FILE under a
 * temp name, mode 0600, then renamed over it.
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
  const target = path.resolve(opts.to);
  if (target === path.resolve(source))
    throw new AppError('USAGE', '--to must not be the store itself', { exitCode: 2 });
  const tmp = path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${randomBytes(6).toString('hex')}`,
  );
  const started = Date.now();
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // The copy holds every customer's messages: private from its first byte.
    fs.closeSync(fs.openSync(tmp, 'wx', 0o600));
    await db.backup(tmp);
    fs.chmodSync(tmp, 0o600);
    const copy = new Database(tmp, { readonly: true });
    let check: unknown;
    try {
      check = copy.pragma('quick_check', { simple: true });
    } finally {
      copy.close();
    }
    if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw new AppError('BACKUP', `backup of ${source} to ${target} failed: ${describeError(err)}`, {
      cause: err,
    });
  } finally {
    db.close();
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
