import { describe, expect, it } from 'vitest';
import { parseCron } from '../../src/core/cron.js';
import { healthWindows } from '../../src/core/catch-up.js';
import { assessHealth } from '../../src/service/health.js';

const MIN = 60_000;

describe('service health', () => {
  it('is healthy during the first three poll intervals, and after a recent successful poll', () => {
    expect(assessHealth({ startedAt: 0 }, 3 * MIN, MIN, 15 * MIN).ok).toBe(true);
    expect(assessHealth({ startedAt: 0, lastPollOkAt: 10 * MIN }, 13 * MIN, MIN, 15 * MIN).ok).toBe(
      true,
    );
  });

  it('is unhealthy once no poll succeeded for more than three intervals, with the kind of the last failure and the metric', () => {
    const h = assessHealth(
      { startedAt: 0, lastPollOkAt: 10 * MIN, lastPollFailure: 'sftp-connect' },
      13 * MIN + 1,
      MIN,
      15 * MIN,
    );
    expect(h.ok).toBe(false);
    expect(h.reasons).toEqual([
      'poll: the last successful poll was 180 s ago (more than three poll intervals, 180 s); last failure: sftp-connect; see webio_reports_last_success_timestamp_seconds{job="poll"}',
    ]);
    expect(assessHealth({ startedAt: 0 }, 3 * MIN + 1, MIN, 15 * MIN).reasons[0]).toContain(
      'no poll has succeeded since the start',
    );
  });

  it('measures ages on the monotonic clock: a wall clock stepped back hides no outage, one stepped forward makes none', () => {
    // The last good poll at wall 10 min (monotonic 600 s); polls fail since. At monotonic
    // 780.001 s NTP has stepped the wall clock back 2 min: wall says 11 min, 60 s after it.
    const s = {
      startedAt: 0,
      startedElapsed: 0,
      lastPollOkAt: 10 * MIN,
      lastPollOkElapsed: 10 * MIN,
    };
    const back = assessHealth(s, 11 * MIN, MIN, 15 * MIN, 13 * MIN + 1);
    expect(back.ok).toBe(false);
    expect(back.reasons[0]).toContain('the last successful poll was 180 s ago');
    // Stepped forward an hour one minute after a good poll: still healthy.
    expect(assessHealth(s, 71 * MIN, MIN, 15 * MIN, 11 * MIN).ok).toBe(true);
    // An export due at wall 80 min, learned at monotonic 80 min; the wall clock goes back
    // 30 min: 16 real minutes later it is overdue, though the wall says -14.
    const due = {
      ...s,
      lastPollOkAt: 95 * MIN,
      lastPollOkElapsed: 95 * MIN,
      exportDueSince: 80 * MIN,
      exportDueSinceElapsed: 80 * MIN,
    };
    expect(assessHealth(due, 66 * MIN, MIN, 15 * MIN, 96 * MIN).exportOverdue).toBe(true);
    expect(assessHealth(due, 66 * MIN, MIN, 15 * MIN, 94 * MIN).exportOverdue).toBe(false);
  });

  it('is unhealthy when the due export has not completed within the grace, and says so for metrics', () => {
    const s = { startedAt: 0, lastPollOkAt: 100 * MIN, exportDueSince: 80 * MIN };
    expect(assessHealth(s, 95 * MIN, MIN, 15 * MIN)).toMatchObject({
      ok: true,
      exportOverdue: false,
    });
    const h = assessHealth(
      { ...s, lastExportFailure: 'export-write-enospc' },
      100 * MIN,
      MIN,
      15 * MIN,
    );
    expect(h.exportOverdue).toBe(true);
    expect(h.reasons).toEqual([
      `export: the scheduled export due at ${new Date(80 * MIN).toISOString()} has not completed; last failure: export-write-enospc; see webio_reports_export_overdue`,
    ]);
  });

  it('takes the poll interval from the schedule and gives an export 15 minutes, or three intervals if longer', () => {
    const now = Date.parse('2026-06-01T12:00:30Z');
    expect(healthWindows(parseCron('* * * * *', 'UTC'), now)).toEqual({
      pollIntervalMs: MIN,
      exportGraceMs: 15 * MIN,
    });
    // Every 10 minutes: three intervals are 30 minutes, longer than 15.
    expect(healthWindows(parseCron('*/10 * * * *', 'UTC'), now)).toEqual({
      pollIntervalMs: 10 * MIN,
      exportGraceMs: 30 * MIN,
    });
  });
});
