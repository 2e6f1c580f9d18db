import fs from 'node:fs';
import Database from 'better-sqlite3';

/** Waits until `ok()` holds, checking every 20 ms, for at most `ms`. */
export async function until(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls recorded as completed in the store (read-only, as `status` reads it). */
export function completedPolls(dbPath: string): number {
  if (!fs.existsSync(dbPath)) return 0;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (
        db.prepare(`SELECT count(*) AS n FROM runs WHERE kind = 'ingest' AND ok = 1`).get() as {
          n: number;
        }
      ).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}
