/** What the service remembers about its jobs, for /healthz. */
export type ServiceState = {
  startedAt: number;
  lastPollOkAt?: number;
  /** The kind of the last poll failure (see failure-kind.ts), never its message. */
  lastPollFailure?: string | undefined;
  lastExportOkAt?: number;
  /** The kind of the last export failure. */
  lastExportFailure?: string | undefined;
  /**
   * When the scheduled export that has not completed came due: a tick of this service, or one
   * the store recorded (or the schedule says passed) before it started.
   */
  exportDueSince?: number | undefined;
};

export type Health = {
  ok: boolean;
  reasons: string[];
  lastPollOkAt: string | null;
  lastExportOkAt: string | null;
  exportOverdue: boolean;
};

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Healthy while a poll succeeded within three poll intervals (counted from the start until
 * the first success) and no export is overdue: a scheduled export that has not completed
 * within `exportGraceMs` of coming due. Pure: the caller passes the clock and the intervals.
 *
 * Anyone who reaches the port reads the reasons: each says what, the kind of the last failure
 * and the metric to look at, never a host, a user or a path (those are in the log).
 */
export function assessHealth(
  s: ServiceState,
  nowMs: number,
  pollIntervalMs: number,
  exportGraceMs: number,
): Health {
  const reasons: string[] = [];
  const window = 3 * pollIntervalMs;
  const since = s.lastPollOkAt ?? s.startedAt;
  if (nowMs - since > window) {
    reasons.push(
      `poll: ${s.lastPollOkAt === undefined ? 'no poll has succeeded since the start' : `the last successful poll was ${Math.round((nowMs - s.lastPollOkAt) / 1000)} s ago`} (more than three poll intervals, ${Math.round(window / 1000)} s)` +
        (s.lastPollFailure ? `; last failure: ${s.lastPollFailure}` : '') +
        '; see webio_reports_last_success_timestamp_seconds{job="poll"}',
    );
  }
  const exportOverdue = s.exportDueSince !== undefined && nowMs - s.exportDueSince > exportGraceMs;
  if (exportOverdue) {
    reasons.push(
      `export: the scheduled export due at ${iso(s.exportDueSince)} has not completed` +
        (s.lastExportFailure ? `; last failure: ${s.lastExportFailure}` : '') +
        '; see webio_reports_export_overdue',
    );
  }
  return {
    ok: reasons.length === 0,
    reasons,
    lastPollOkAt: iso(s.lastPollOkAt),
    lastExportOkAt: iso(s.lastExportOkAt),
    exportOverdue,
  };
}
