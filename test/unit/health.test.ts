import { describe, expect, it } from 'vitest';
import { assessHealth } from '../../src/service/health.js';

const MIN = 60_000;

describe('service health', () => {
  it('is healthy during the first three poll intervals, and after a recent successful poll', () => {
    expect(assessHealth({ startedAt: 0 }, 3 * MIN, MIN, 15 * MIN).ok).toBe(true);
    expect(assessHealth({ startedAt: 0, lastPollOkAt: 10 * MIN }, 13 * MIN, MIN, 15 * MIN).ok).toBe(
      true,
    );
  });

  it('is unhealthy once no poll succeeded for more than three intervals, with the last error', () => {
    const h = assessHealth(
      { startedAt: 0, lastPollOkAt: 10 * MIN, lastPollError: 'sftp connect: refused' },
      13 * MIN + 1,
      MIN,
      15 * MIN,
    );
    expect(h.ok).toBe(false);
    expect(h.reasons).toEqual([
      'the last successful poll was 180 s ago (more than three poll intervals, 180 s); last error: sftp connect: refused',
    ]);
    expect(assessHealth({ startedAt: 0 }, 3 * MIN + 1, MIN, 15 * MIN).reasons[0]).toContain(
      'no poll has succeeded since the start',
    );
  });

  it('is unhealthy when an export tick has not succeeded within the grace', () => {
    const s = { startedAt: 0, lastPollOkAt: 100 * MIN, exportDueSince: 80 * MIN };
    expect(assessHealth(s, 95 * MIN, MIN, 15 * MIN).ok).toBe(true);
    expect(assessHealth(s, 100 * MIN, MIN, 15 * MIN).reasons).toEqual([
      `the export due at ${new Date(80 * MIN).toISOString()} has not succeeded`,
    ]);
  });
});
