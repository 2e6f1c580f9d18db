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
  /**
   * The same moments on the monotonic clock (`performance.now`), which a wall clock stepped
   * back or forward does not move: how long ago they were is measured on it when known.
   */
  startedElapsed?: number;
  lastPollOkElapsed?: number;
  /** When this service learned the export in `exportDueSince` was due (a tick, or its start). */
  exportDueSinceElapsed?: number | undefined;
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
 * within `exportGraceMs` of coming due. Pure: the caller passes the clocks and the intervals.
 * Ages are measured on the monotonic clock where the state has it (`elapsedMs` is its now): a
 * wall clock stepped back an hour neither hides an outage nor delays an overdue export's
 * alarm; an export due before the start is late by the wall clock too.
 *
 * Anyone who reaches the port reads the reasons: each says what, the kind of the last failure
 * and the metric to look at, never a host, a user or a path (those are in the log).
 */
export function assessHealth(
  s: ServiceState,
  nowMs: number,
  pollIntervalMs: number,
  exportGraceMs: number,
  elapsedMs?: number,
): Health {
  const reasons: string[] = [];
  const window = 3 * pollIntervalMs;
  const ago = (wallAt: number, elapsedAt: number | undefined) =>
    elapsedMs !== undefined && elapsedAt !== undefined ? elapsedMs - elapsedAt : nowMs - wallAt;
  const pollAge =
    s.lastPollOkAt === undefined
      ? ago(s.startedAt, s.startedElapsed)
      : ago(s.lastPollOkAt, s.lastPollOkElapsed);
  if (pollAge > window) {
    reasons.push(
      `poll: ${s.lastPollOkAt === undefined ? 'no poll has succeeded since the start' : `the last successful poll was ${Math.round(pollAge / 1000)} s ago`} (more than three poll intervals, ${Math.round(window / 1000)} s)` +
        (s.lastPollFailure ? `; last failure: ${s.lastPollFailure}` : '') +
        '; see webio_reports_last_success_timestamp_seconds{job="poll"}',
    );
  }
  const exportOverdue =
    s.exportDueSince !== undefined &&
    Math.max(nowMs - s.exportDueSince, ago(s.exportDueSince, s.exportDueSinceElapsed)) >
      exportGraceMs;
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
