import Database from 'better-sqlite3';

/**
 * Copies the SQLite file `source` into `target` (which exists, empty) by SQLite's online
 * backup: a consistent copy while another connection writes. `between` runs between two steps
 * of the copy and stops it by throwing. The copy is then made one self-contained file and
 * checked.
 */
export async function copyDatabase(
  source: string,
  target: string,
  between: () => void,
): Promise<void> {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(target, {
      progress: () => {
        between();
        return 100;
      },
    });
  } finally {
    db.close();
  }
  checkCopy(target);
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
