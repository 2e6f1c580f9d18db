import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../errors.js';

/** The files SQLite and the lock keep beside a store, each of which a backup must never replace. */
export function storeOwnFiles(databasePath: string): string[] {
  const db = path.resolve(databasePath);
  const names = (base: string) => [
    base,
    `${base}-wal`,
    `${base}-shm`,
    `${base}-journal`,
    `${base}.lock`,
  ];
  // The same files through any link in the folder's path, or a store that is itself a link.
  const bases = new Set([db]);
  const realDir = realPath(path.dirname(db));
  if (realDir !== undefined) bases.add(path.join(realDir, path.basename(db)));
  const realDb = realPath(db);
  if (realDb !== undefined) bases.add(realDb);
  return [...new Set([...bases].flatMap(names))];
}

/**
 * Checks a backup target before anything is written: its folder must exist (a backup
 * creates none: a typo must not make a tree of folders as whoever ran it), and it must not
 * be, or link to (a symbolic link, or a hard link to the same inode), any of the store's own
 * files: a backup renamed over the live WAL replaces the store's committed events. Returns
 * the target to write, with its folder's links resolved. Throws a usage error that says
 * what to do.
 */
export function checkBackupTarget(to: string, databasePath: string): string {
  const given = path.resolve(to);
  const folder = path.dirname(given);
  if (!isDirectory(folder))
    throw usage(
      `backup --to ${to}: the folder ${folder} does not exist; create it first (backup creates no folder)`,
    );
  const target = path.join(realPath(folder) ?? folder, path.basename(given));
  const own = storeOwnFiles(databasePath);
  const refuse = (how: string, file: string) =>
    usage(
      `backup --to ${to} ${how} the store's own file ${file}; writing there would replace the store: choose a file outside the store's files`,
    );
  if (own.includes(target)) throw refuse('is', target);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return target;
    throw err;
  }
  if (st.isSymbolicLink()) {
    // Where the link points, even when that file does not exist right now (a -wal between
    // two connections).
    const pointsTo = realPath(target) ?? path.resolve(folder, fs.readlinkSync(target));
    const hit = own.find((f) => f === pointsTo || sameFile(f, target));
    if (hit) throw refuse('links to', hit);
  } else {
    const hit = own.find((f) => sameFile(f, target));
    if (hit) throw refuse('is a hard link to', hit);
  }
  if (isDirectory(target))
    throw usage(`backup --to ${to} is a folder; give the name of the file to write`);
  return target;
}

const usage = (message: string) => new AppError('USAGE', message, { exitCode: 2 });

function realPath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Both exist and are one inode (followed through links). */
function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
