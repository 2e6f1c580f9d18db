import fs from 'node:fs';
import type { Config } from '../config/schema.js';
import { dueExport, healthWindows, isOverdue } from '../core/catch-up.js';
import { parseCron, type CronSchedule } from '../core/cron.js';
import { addDays, dayInZone, dayRange } from '../core/days.js';
import {
  DEFAULT_OPT_OUT_WORDS,
  DEFAULT_STATUS_CLASSES,
  type StatusClasses,
} from '../core/outcomes.js';
import { checkStatusCodes, STATUS_CHECK_DAYS, type SeenStatusCode } from '../core/status-check.js';
import { mergeLabels } from '../core/status-labels.js';
import type { SqliteStore } from '../io/store/index.js';
import { reportParams } from '../pipeline/export/render.js';
import type { IngestSummary } from '../pipeline/ingest/index.js';
import { dailySummaryReport } from '../reports/daily-summary.js';
import { openReadOnlyStore } from './store.js';

/**
 * `status` of the configured store, read-only (no lock, no migration, so it works while the
 * service runs); undefined when the store does not exist yet.
 */
export function readStatus(config: Config, nowMs: number): StatusReport | undefined {
  if (!fs.existsSync(config.database.path)) return undefined;
  const store = openReadOnlyStore(config);
  try {
    return collectStatus(
      store,
      config.database.path,
      config.export.timezone,
      config.service.silenceWarningMinutes,
      nowMs,
      {
        classes: config.export.statusClasses,
        optOutWords: config.export.optOutWords,
        labels: mergeLabels(config.export.statusLabels),
      },
      {
        export: parseCron(config.schedule.export, config.schedule.timezone),
        exportGraceMs: healthWindows(
          parseCron(config.schedule.poll, config.schedule.timezone),
          nowMs,
        ).exportGraceMs,
      },
    );
  } finally {
    store.close();
  }
}

export type StatusReport = {
  database: string;
  counts: ReturnType<SqliteStore['counts']>;
  days: {
    day: string;
    sends: number;
    inbound: number;
    statuses: number;
    other: number;
    outcomes: DayOutcomes;
  }[];
  lastPoll: { at: string; ok: boolean | null; error: string | null; summary: unknown } | null;
  lastSuccessfulPoll: string | null;
  lastExport: { at: string; ok: boolean | null; error: string | null } | null;
  lastSuccessfulExport: string | null;
  /**
   * The scheduled export that came due last (recorded by the service, or a later run of the
   * schedule that passed unrecorded) and whether an export completed it; null before the
   * service has run on this store.
   */
  exportDue: {
    dueAt: string;
    completed: boolean;
    overdue: boolean;
    /** Why it has not completed, when it has not. */
    why: string | null;
  } | null;
  lastError: { kind: string; at: string; error: string } | null;
  /** Matching files left on the server by the last poll that listed the folder; null if none did. */
  filesWaiting: number | null;
  /** Entries matching the pattern that the last poll left alone because they are not regular files. */
  skippedEntries: Partial<Record<string, number>>;
  unfinishedFiles: { name: string; finish: string; error: string | null }[];
  pendingExportDays: string[];
  quarantine: {
    total: number;
    latest: { name: string; reason: string; detail: string; at: string; movedTo: string | null }[];
  };
  lastFileAt: string | null;
  /** The status codes of the last 7 days' delivery reports, with label and class. */
  statusCodes: SeenStatusCode[];
  warnings: string[];
  /** The verdict for scripts: no warnings. `status` exits 1 when false. */
  healthy: boolean;
};

/** A day's sends by outcome, and how customers answered, summed over channels. */
export type DayOutcomes = {
  delivered: number;
  failed: number;
  unconfirmed: number;
  pending: number;
  optOuts: number;
  replied: number;
};

/** The daily-summary report's counts for one day, summed over its channels. */
function dayOutcomes(
  store: SqliteStore,
  day: string,
  tz: string,
  rules: { classes: StatusClasses; optOutWords: readonly string[] },
): DayOutcomes {
  const out: DayOutcomes = {
    delivered: 0,
    failed: 0,
    unconfirmed: 0,
    pending: 0,
    optOuts: 0,
    replied: 0,
  };
  for (const row of store.iterateRows(
    dailySummaryReport,
    reportParams({ timeZone: tz, ...rules }, day),
  )) {
    const [, , delivered, failed, unconfirmed, pending, , optOuts, replied] = row as number[];
    out.delivered += delivered ?? 0;
    out.failed += failed ?? 0;
    out.unconfirmed += unconfirmed ?? 0;
    out.pending += pending ?? 0;
    out.optOuts += optOuts ?? 0;
    out.replied += replied ?? 0;
  }
  return out;
}

/** The status-code check over the last 7 days (today and the 6 before, in the export zone). */
export function statusCodeCheck(
  store: Pick<SqliteStore, 'statusCodeCounts'>,
  tz: string,
  nowMs: number,
  rules: { classes: StatusClasses; labels?: Readonly<Record<string, string>> },
): ReturnType<typeof checkStatusCodes> {
  const since = dayRange(addDays(dayInZone(nowMs, tz), 1 - STATUS_CHECK_DAYS), tz).startMs;
  return checkStatusCodes(
    store.statusCodeCounts(since),
    rules.labels ?? mergeLabels({}),
    rules.classes,
    STATUS_CHECK_DAYS,
  );
}

const iso = (ms: number | null | undefined): string | null =>
  ms == null ? null : new Date(ms).toISOString();

/** Gathers what `status` shows; read-only, so it works while the service runs. */
export function collectStatus(
  store: SqliteStore,
  database: string,
  tz: string,
  silenceMinutes: number,
  nowMs: number,
  rules: {
    classes: StatusClasses;
    optOutWords: readonly string[];
    labels?: Readonly<Record<string, string>>;
  } = {
    classes: DEFAULT_STATUS_CLASSES,
    optOutWords: DEFAULT_OPT_OUT_WORDS,
  },
  schedule?: { export: Pick<CronSchedule, 'previous'>; exportGraceMs: number },
): StatusReport {
  const today = dayInZone(nowMs, tz);
  const days = [];
  for (let i = 6; i >= 0; i--) {
    const day = addDays(today, -i);
    days.push({ day, ...store.countDay(day), outcomes: dayOutcomes(store, day, tz, rules) });
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
  const exportDue = dueExportStatus(store, nowMs, schedule);
  if (exportDue?.overdue)
    warnings.push(
      `the scheduled export due at ${exportDue.dueAt} has not completed: ${exportDue.why}; the service exports it as soon as it runs, or run \`webio-reports export\``,
    );
  const codes = statusCodeCheck(store, tz, nowMs, rules);
  if (codes.warning) warnings.push(codes.warning);
  const unfinished = store.unfinishedFiles();
  if (unfinished.length)
    warnings.push(`${unfinished.length} file(s) ingested but not yet moved/deleted on the server`);
  const erasure = store.pendingErasure();
  if (erasure) {
    const left = [
      erasure.days.length ? `${erasure.days.length} CSV day(s) to write again` : '',
      erasure.vacuum ? 'the store to rebuild' : '',
      erasure.checkpoint ? 'its WAL to empty' : '',
    ].filter(Boolean);
    warnings.push(
      `an erasure is not finished (${left.join(', ') || 'nothing but recording it'}), so the erased address may still be on disk: run \`webio-reports erase\` to finish it`,
    );
  }
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
    exportDue,
    lastError: lastError
      ? { kind: lastError.kind, at: iso(lastError.at) ?? '', error: lastError.error }
      : null,
    filesWaiting: filesWaiting(store, pollSummary),
    skippedEntries: pollSummary?.skipped ?? {},
    unfinishedFiles: unfinished,
    pendingExportDays: store.changedDays(),
    quarantine: { total: q.total, latest: q.items.map((i) => ({ ...i, at: iso(i.at) ?? '' })) },
    lastFileAt: iso(lastFileAt),
    statusCodes: codes.codes,
    warnings,
    healthy: warnings.length === 0,
  };
}

/**
 * Matching files the last poll left on the server. A poll that failed before it listed has
 * no count: the last one that listed says, rather than a 0 that is not true.
 */
function filesWaiting(
  store: Pick<SqliteStore, 'lastRun' | 'lastListedRun'>,
  last: Partial<IngestSummary> | null | undefined,
): number | null {
  const listed = last?.listed !== undefined ? last : store.lastListedRun()?.summary;
  const s = listed as Partial<IngestSummary> | null | undefined;
  if (!s) return null;
  if (s.leftOnServer !== undefined) return s.leftOnServer;
  // A run recorded by an older version.
  return (s.young ?? 0) + (s.deferred ?? 0) + (s.waiting?.length ?? 0);
}

/** The due export as `status` shows it, with why it has not completed. */
function dueExportStatus(
  store: SqliteStore,
  nowMs: number,
  schedule: { export: Pick<CronSchedule, 'previous'>; exportGraceMs: number } | undefined,
): StatusReport['exportDue'] {
  const record = store.exportDue();
  // Before the service first ran on this store nothing was due (`ingest` and `export` by
  // hand owe no schedule).
  if (!record) return null;
  const due = dueExport(record, schedule?.export.previous(nowMs));
  if (!due) return null;
  let why: string | null = null;
  if (!due.completed) {
    const run = store.lastRun('export', false, true);
    why =
      run === undefined || run.startedAt < due.dueAt
        ? 'no export has run since it came due: is the service running?'
        : run.endedAt === null
          ? `an export started at ${iso(run.startedAt)} has not finished: it is still running, or its process was stopped or killed`
          : run.ok
            ? 'the exports since were of chosen days, not the changed days and yesterday'
            : `the export started at ${iso(run.startedAt)} failed: ${run.error ?? 'unknown error'}`;
  }
  return {
    dueAt: iso(due.dueAt) ?? '',
    completed: due.completed,
    overdue: isOverdue(due, nowMs, schedule?.exportGraceMs ?? 0),
    why,
  };
}
