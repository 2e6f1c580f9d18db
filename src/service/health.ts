/** What the service remembers about its jobs, for /healthz. */
export type ServiceState = {
  startedAt: number;
  lastPollOkAt?: number;
  lastPollError?: string;
  lastExportOkAt?: number;
  lastExportError?: string;
  /** When an export tick fired that has not succeeded since. */
  exportDueSince?: number;
};

export type Health = {
  ok: boolean;
  reasons: string[];
  lastPollOkAt: string | null;
  lastExportOkAt: string | null;
};

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

/**
 * Healthy while a poll succeeded within three poll intervals (counted from the start until
 * the first success) and no export is overdue: an export tick that has not succeeded within
 * `exportGraceMs`. Pure: the caller passes the clock and the intervals.
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
      `${s.lastPollOkAt === undefined ? 'no poll has succeeded since the start' : `the last successful poll was ${Math.round((nowMs - s.lastPollOkAt) / 1000)} s ago`} (more than three poll intervals, ${Math.round(window / 1000)} s)` +
        (s.lastPollError ? `; last error: ${s.lastPollError}` : ''),
    );
  }
  if (s.exportDueSince !== undefined && nowMs - s.exportDueSince > exportGraceMs) {
    reasons.push(
      `the export due at ${iso(s.exportDueSince)} has not succeeded` +
        (s.lastExportError ? `; last error: ${s.lastExportError}` : ''),
    );
  }
  return {
    ok: reasons.length === 0,
    reasons,
    lastPollOkAt: iso(s.lastPollOkAt),
    lastExportOkAt: iso(s.lastExportOkAt),
  };
}
