import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCron } from '../../src/core/cron.js';
import { Scheduler } from '../../src/service/scheduler.js';
import { memoryLog } from '../helpers/log-sink.js';

const quiet = memoryLog();
const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * Every clock change of 2026 in four zones, worked out by hand from each zone's rule (all four
 * are Sundays: 1 March 2026 is a Sunday, so 8 and 29 March are; 1 April is a Wednesday, so
 * 5 April is; 1 October is a Thursday, so 4 and 25 October are; 1 November is a Sunday).
 *
 * - the EU changes at 01:00 UTC on the last Sundays of March and October;
 * - New York at 02:00 local on the second Sunday of March (07:00 UTC, EST to EDT) and the
 *   first Sunday of November (06:00 UTC, EDT to EST);
 * - Sydney at 02:00 AEST on the first Sunday of October (3 Oct 16:00 UTC) and 03:00 AEDT on
 *   the first Sunday of April (4 Apr 16:00 UTC).
 *
 * `inGap` is a wall time inside the skipped spring hour; its one run is the first real instant
 * after the change, the change itself. `inOverlap` is a wall time inside the repeated autumn
 * hour; it runs once, at its first occurrence, an hour before its second.
 */
const CHANGES = [
  {
    zone: 'Europe/London',
    spring: { at: '2026-03-29T01:00:00Z', inGap: '30 1 * * *', runsAt: '2026-03-29T01:00:00Z' },
    autumn: { at: '2026-10-25T01:00:00Z', inOverlap: '30 1 * * *', runsAt: '2026-10-25T00:30:00Z' },
  },
  {
    zone: 'Europe/Dublin',
    spring: { at: '2026-03-29T01:00:00Z', inGap: '30 1 * * *', runsAt: '2026-03-29T01:00:00Z' },
    autumn: { at: '2026-10-25T01:00:00Z', inOverlap: '30 1 * * *', runsAt: '2026-10-25T00:30:00Z' },
  },
  {
    zone: 'America/New_York',
    spring: { at: '2026-03-08T07:00:00Z', inGap: '30 2 * * *', runsAt: '2026-03-08T07:00:00Z' },
    autumn: { at: '2026-11-01T06:00:00Z', inOverlap: '30 1 * * *', runsAt: '2026-11-01T05:30:00Z' },
  },
  {
    zone: 'Australia/Sydney',
    spring: { at: '2026-10-03T16:00:00Z', inGap: '30 2 * * *', runsAt: '2026-10-03T16:00:00Z' },
    autumn: { at: '2026-04-04T16:00:00Z', inOverlap: '30 2 * * *', runsAt: '2026-04-04T15:30:00Z' },
  },
];

/**
 * Runs the real scheduler under fake timers from two hours before `changeAt` to two hours
 * after, and returns, per expression, the instants its handler was called at.
 */
async function runAcross(
  changeAt: string,
  zone: string,
  expressions: string[],
): Promise<Map<string, number[]>> {
  const t = Date.parse(changeAt);
  // Half a minute before a whole minute, so the first run is at exactly t - 2 h.
  vi.useFakeTimers();
  vi.setSystemTime(t - 2 * HOUR - 30_000);
  const fired = new Map<string, number[]>(expressions.map((e) => [e, []]));
  const scheduler = new Scheduler({ clock: Date.now, log: quiet });
  for (const e of expressions)
    scheduler.add(e, parseCron(e, zone), (dueMs) => {
      // The handler runs at its instant: the clock and the instant it is given agree.
      expect(Date.now()).toBe(dueMs);
      fired.get(e)?.push(dueMs);
    });
  scheduler.start();
  await vi.advanceTimersByTimeAsync(4 * HOUR);
  scheduler.stop();
  return fired;
}

const gaps = (xs: number[]) => new Set(xs.slice(1).map((x, i) => x - (xs[i] as number)));
const iso = (xs: number[]) => xs.map((x) => new Date(x).toISOString().replace('.000', ''));

afterEach(() => vi.useRealTimers());

describe.each(CHANGES)('the scheduler in $zone', ({ zone, spring, autumn }) => {
  it.each([
    ['spring', spring.at],
    ['autumn', autumn.at],
  ])(
    'runs every-minute and every-5-minutes jobs at every real minute through the %s change',
    async (_name, at) => {
      const fired = await runAcross(at, zone, ['* * * * *', '*/5 * * * *', '*/20 * * * * *']);
      const everyMinute = fired.get('* * * * *') ?? [];
      // Four real hours hold 240 minutes, none lost and none doubled: the first run at
      // t - 2 h, the last at t + 2 h - 1 min, 60 s apart.
      expect(everyMinute).toHaveLength(240);
      expect(everyMinute[0]).toBe(Date.parse(at) - 2 * HOUR);
      expect(gaps(everyMinute)).toEqual(new Set([MIN]));
      // Whole-hour offsets keep local and real five-minute marks together: 48 in 4 hours.
      expect(fired.get('*/5 * * * *')).toHaveLength(48);
      expect(gaps(fired.get('*/5 * * * *') ?? [])).toEqual(new Set([5 * MIN]));
      // A seconds field: every 20 real seconds, 3 a minute.
      expect(fired.get('*/20 * * * * *')).toHaveLength(720);
      expect(gaps(fired.get('*/20 * * * * *') ?? [])).toEqual(new Set([20_000]));
    },
  );

  it('runs a job at a wall time inside the skipped spring hour once, right after the change', async () => {
    const fired = await runAcross(spring.at, zone, [spring.inGap]);
    expect(iso(fired.get(spring.inGap) ?? [])).toEqual([spring.runsAt]);
  });

  it('runs a job at a wall time inside the repeated autumn hour once, at its first occurrence', async () => {
    const fired = await runAcross(autumn.at, zone, [autumn.inOverlap]);
    expect(iso(fired.get(autumn.inOverlap) ?? [])).toEqual([autumn.runsAt]);
  });
});
