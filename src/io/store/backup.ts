import Database from 'better-sqlite3';

/** The store opened read-only for a copy by SQLite's online backup. */
export type BackupSource = {
  /**
   * Copies the store into `target` (which exists, empty): a consistent copy while another
   * connection writes. `between` runs between two steps of the copy and stops it by throwing.
   */
  copyTo(target: string, between: () => void): Promise<void>;
  close(): void;
};

/** Opens `source` for a backup; fails at once when it cannot be read. */
export function openBackupSource(source: string): BackupSource {
  const db = new Database(source, { readonly: true, fileMustExist: true });
  return {
    async copyTo(target, between) {
      await db.backup(target, {
        progress: () => {
          between();
          return 100;
        },
      });
    },
    close: () => db.close(),
  };
}

/**
 * Makes a copy one self-contained file and checks it. The copy carries the store's WAL
 * mode; in rollback-journal mode it needs no -wal or -shm beside it, so opening it (here,
 * or later to inspect it) leaves none (the service turns WAL on again when it opens a
 * restored store).
 */
export function checkCopy(file: string): void {
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
