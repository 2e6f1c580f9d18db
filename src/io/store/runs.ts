import type Database from 'better-sqlite3';

/**
 * The run history: one row per poll or export, from its start to how it ended, read back by
 * `status`, the health check and the metrics.
 */

/** What a run was: a poll or an export. */
export type RunKind = 'ingest' | 'export';
/** One run as the history holds it; `ok` and `endedAt` are null while it is going. */
export type RunRecord = {
  id: number;
  kind: RunKind;
  startedAt: number;
  endedAt: number | null;
  ok: boolean | null;
  summary: unknown;
  error: string | null;
};

/** Records the start of a poll or export; its id. */
export function startRun(db: Database.Database, kind: RunKind, nowMs: number): number {
  return Number(
    db.prepare(`INSERT INTO runs (kind, started_at) VALUES (?, ?)`).run(kind, nowMs)
      .lastInsertRowid,
  );
}

/** Records how a poll or export ended. */
export function endRun(
  db: Database.Database,
  id: number,
  ok: boolean,
  summary: unknown,
  error: string | null,
  nowMs: number,
): void {
  db.prepare(`UPDATE runs SET ended_at = ?, ok = ?, summary = ?, error = ? WHERE id = ?`).run(
    nowMs,
    ok ? 1 : 0,
    JSON.stringify(summary ?? null),
    error,
    id,
  );
}

/** The latest ended run of a kind (only successful ones, or also one still going). */
export function lastRun(
  db: Database.Database,
  kind: RunKind,
  onlyOk: boolean,
  includeUnfinished: boolean,
): RunRecord | undefined {
  const filter = onlyOk ? 'AND ok = 1' : includeUnfinished ? '' : 'AND ended_at IS NOT NULL';
  const row = db
    .prepare<[string], { id: number }>(
      `SELECT id FROM runs WHERE kind = ? ${filter} ORDER BY id DESC LIMIT 1`,
    )
    .get(kind);
  return row ? runById(db, row.id) : undefined;
}

/** The latest poll that got as far as listing the folder (its summary counts files). */
export function lastListedRun(db: Database.Database): RunRecord | undefined {
  const row = db
    .prepare<[], { id: number }>(
      `SELECT id FROM runs WHERE kind = 'ingest' AND summary IS NOT NULL AND summary <> 'null'
        ORDER BY id DESC LIMIT 1`,
    )
    .get();
  return row ? runById(db, row.id) : undefined;
}

function runById(db: Database.Database, id: number): RunRecord | undefined {
  const row = db
    .prepare<
      [number],
      {
        id: number;
        kind: RunKind;
        started_at: number;
        ended_at: number | null;
        ok: number | null;
        summary: string | null;
        error: string | null;
      }
    >(`SELECT * FROM runs WHERE id = ?`)
    .get(id);
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    startedAt: row.started_at,
    endedAt: row.ended_at,
    ok: row.ok === null ? null : row.ok === 1,
    summary: row.summary ? (JSON.parse(row.summary) as unknown) : null,
    error: row.error,
  };
}

/** The latest failed run of any kind. */
export function lastError(
  db: Database.Database,
): { kind: RunKind; at: number; error: string } | undefined {
  const row = db
    .prepare<[], { kind: RunKind; ended_at: number; error: string }>(
      `SELECT kind, ended_at, error FROM runs WHERE ok = 0 ORDER BY id DESC LIMIT 1`,
    )
    .get();
  return row ? { kind: row.kind, at: row.ended_at, error: row.error } : undefined;
}

/** The error recorded for a run whose process ended before it did. */
export const INTERRUPTED =
  'interrupted: the process ended before this run did (killed, crashed, or the machine stopped)';

/**
 * Ends the runs that never ended: their process died (a run is recorded only while its process
 * holds the write lock, so the caller, holding it now, knows none of them is still going).
 * `status` then tells an export killed at 00:15 from one that succeeded. Returns how many.
 */
export function closeInterruptedRuns(db: Database.Database, nowMs: number): number {
  return db
    .prepare(`UPDATE runs SET ended_at = ?, ok = 0, error = ? WHERE ended_at IS NULL`)
    .run(nowMs, INTERRUPTED).changes;
}
