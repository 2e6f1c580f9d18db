import fs from 'node:fs';
import { addDays, dayInZone } from '../core/days.js';
import { loadConfig } from '../config/load.js';
import { TABLES } from '../core/dedup.js';
import { SqliteStore } from '../io/sqlite-store.js';
import type { IngestSummary } from '../pipeline/ingest-run.js';
import type { CommonOptions, Output } from './context.js';

export type StatusReport = {
  database: string;
  counts: ReturnType<SqliteStore['counts']>;
  days: { day: string; sends: number; inbound: number; statuses: number }[];
  lastPoll: { at: string; ok: boolean | null; error: string | null; summary: unknown } | null;
  lastSuccessfulPoll: string | null;
  lastExport: { at: string; ok: boolean | null; error: string | null } | null;
  lastSuccessfulExport: string | null;
  lastError: { kind: string; at: string; error: string } | null;
  filesWaiting: number;
  unfinishedFiles: { name: string; finish: string; error: string | null }[];
  pendingExportDays: string[];
  quarantine: {
    total: number;
    latest: { name: string; reason: string; detail: string; at: string; movedTo: string | null }[];
  };
  lastFileAt: string | null;
  warnings: string[];
};

const iso = (ms: number | null | undefined): string | null =>
  ms == null ? null : new Date(ms).toISOString();

/** Gathers what `status` shows; read-only, so it works while the service runs. */
export function collectStatus(
  store: SqliteStore,
  database: string,
  tz: string,
  silenceMinutes: number,
  nowMs: number,
): StatusReport {
  const today = dayInZone(nowMs, tz);
  const days = [];
  for (let i = 6; i >= 0; i--) {
    const day = addDays(today, -i);
    days.push({ day, ...store.countDay(day) });
  }
  const lastPoll = store.lastRun('ingest');
  const lastOkPoll = store.lastRun('ingest', true);
  const lastExport = store.lastRun('export');
  const lastOkExport = store.lastRun('export', true);
  const lastError = store.lastError();
  const q = store.quarantined(10);
  const lastFileAt = store.lastFileAt();
  const pollSummary = lastPoll?.summary as Partial<IngestSummary> | null | undefined;
  const warnings: string[] = [];
  const silenceSince = lastFileAt ?? lastOkPoll?.startedAt;
  if (silenceSince !== undefined && nowMs - silenceSince > silenceMinutes * 60_000) {
    warnings.push(
      `no new file has arrived for ${Math.round((nowMs - silenceSince) / 60_000)} minutes (service.silenceWarningMinutes is ${silenceMinutes}): check that Webio's SFTP hook is still delivering`,
    );
  }
  if (lastPoll && lastPoll.ok === false)
    warnings.push(`the last poll failed: ${lastPoll.error ?? 'unknown error'}`);
  if (lastExport && lastExport.ok === false)
    warnings.push(`the last export failed: ${lastExport.error ?? 'unknown error'}`);
  const unfinished = store.unfinishedFiles();
  if (unfinished.length)
    warnings.push(`${unfinished.length} file(s) ingested but not yet moved/deleted on the server`);
  return {
    database,
    counts: store.counts(),
    days,
    lastPoll: lastPoll
      ? {
          at: iso(lastPoll.endedAt) ?? '',
          ok: lastPoll.ok,
          error: lastPoll.error,
          summary: lastPoll.summary,
        }
      : null,
    lastSuccessfulPoll: iso(lastOkPoll?.endedAt),
    lastExport: lastExport
      ? { at: iso(lastExport.endedAt) ?? '', ok: lastExport.ok, error: lastExport.error }
      : null,
    lastSuccessfulExport: iso(lastOkExport?.endedAt),
    lastError: lastError
      ? { kind: lastError.kind, at: iso(lastError.at) ?? '', error: lastError.error }
      : null,
    filesWaiting:
      (pollSummary?.young ?? 0) +
      (pollSummary?.deferred ?? 0) +
      (pollSummary?.waiting?.length ?? 0),
    unfinishedFiles: unfinished,
    pendingExportDays: store.dirtyDays(),
    quarantine: { total: q.total, latest: q.items.map((i) => ({ ...i, at: iso(i.at) ?? '' })) },
    lastFileAt: iso(lastFileAt),
    warnings,
  };
}

export function formatStatus(s: StatusReport): string {
  const c = s.counts;
  const lines = [
    `store: ${s.database}`,
    `rows: ${TABLES.map((r) => `${r} ${c.typed[r]}`).join(', ')}; conflicts ${c.conflicts}`,
    `raw ledger: ${
      Object.entries(c.rawByType)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'empty'
    }`,
    `last poll: ${s.lastPoll ? `${s.lastPoll.at} ${s.lastPoll.ok ? 'ok' : `FAILED: ${s.lastPoll.error}`}` : 'never'}` +
      (s.lastSuccessfulPoll && !s.lastPoll?.ok ? ` (last ok ${s.lastSuccessfulPoll})` : ''),
    `last export: ${s.lastExport ? `${s.lastExport.at} ${s.lastExport.ok ? 'ok' : `FAILED: ${s.lastExport.error}`}` : 'never'}` +
      (s.lastSuccessfulExport && !s.lastExport?.ok ? ` (last ok ${s.lastSuccessfulExport})` : ''),
    `last error: ${s.lastError ? `${s.lastError.at} ${s.lastError.kind}: ${s.lastError.error}` : 'none'}`,
    `last file arrived: ${s.lastFileAt ?? 'never'}`,
    `files waiting on the server after the last poll: ${s.filesWaiting}`,
    `days waiting for export: ${s.pendingExportDays.join(', ') || 'none'}`,
    'per day (sends / inbound / statuses):',
    ...s.days.map((d) => `  ${d.day}  ${d.sends} / ${d.inbound} / ${d.statuses}`),
    `quarantine: ${s.quarantine.total} file(s)`,
    ...s.quarantine.latest.map(
      (q) =>
        `  ${q.at} ${q.name}: ${q.reason}: ${q.detail}${q.movedTo ? ` (now ${q.movedTo})` : ''}`,
    ),
    ...s.unfinishedFiles.map(
      (f) => `  not yet finished: ${f.name} (${f.finish}${f.error ? `: ${f.error}` : ''})`,
    ),
    ...s.warnings.map((w) => `WARNING: ${w}`),
  ];
  return lines.join('\n');
}

/** `status`: counts, last runs, quarantine and warnings. */
export async function statusCommand(opts: CommonOptions, output: Output): Promise<number> {
  const config = loadConfig(opts.config, process.env, { needsSftp: false });
  if (!fs.existsSync(config.database.path)) {
    output.out(
      opts.json
        ? JSON.stringify({ database: config.database.path, exists: false })
        : `store: ${config.database.path} does not exist yet; run \`webio-reports ingest\``,
    );
    return 0;
  }
  const store = new SqliteStore({
    path: config.database.path,
    busyTimeoutMs: config.database.busyTimeoutMs,
    exportTimeZone: config.export.timezone,
    sourceTimeZone: config.source.timezone,
  });
  try {
    const report = collectStatus(
      store,
      config.database.path,
      config.export.timezone,
      config.service.silenceWarningMinutes,
      Date.now(),
    );
    output.out(opts.json ? JSON.stringify(report, null, 2) : formatStatus(report));
    return 0;
  } finally {
    store.close();
  }
}
