import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseCron } from '../../src/core/cron.js';
import { Scheduler } from '../../src/service/scheduler.js';

const MIN = 60_000;
const T0 = Date.parse('2026-06-01T12:00:30Z');

function make() {
  const warnings: string[] = [];
  const log = {
    debug: () => {},
    info: () => {},
    warn: (_o: object, msg?: string) => warnings.push(msg ?? ''),
    error: () => {},
  };
  const calls: number[] = [];
  const scheduler = new Scheduler({ clock: Date.now, log });
  return { scheduler, calls, warnings };
}

describe('the scheduler loop', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
  });
  afterEach(() => vi.useRealTimers());

  it('calls a job once, for the latest run, when the wall clock jumps forward over many', async () => {
    const { scheduler, calls, warnings } = make();
    scheduler.add('poll', parseCron('* * * * *', 'UTC'), (due) => calls.push(due));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(MIN);
    expect(calls).toEqual([Date.parse('2026-06-01T12:01:00Z')]);
    // It is 12:01:30 and the loop sleeps 30 s (its longest sleep) towards 12:02. NTP steps the
    // clock 3 hours ahead: it wakes at 15:02:10, past 181 runs, and calls once, for 15:02.
    vi.setSystemTime(Date.parse('2026-06-01T15:01:40Z'));
    await vi.advanceTimersByTimeAsync(30_000);
    expect(calls.slice(1)).toEqual([Date.parse('2026-06-01T15:02:00Z')]);
    expect(warnings.some((w) => w.includes('late'))).toBe(true);
    // Then every minute again, from the new time.
    await vi.advanceTimersByTimeAsync(2 * MIN);
    expect(calls.slice(2)).toEqual([
      Date.parse('2026-06-01T15:03:00Z'),
      Date.parse('2026-06-01T15:04:00Z'),
    ]);
    scheduler.stop();
  });

  it('keeps running every minute when the wall clock is stepped back an hour', async () => {
    const { scheduler, calls, warnings } = make();
    scheduler.add('poll', parseCron('* * * * *', 'UTC'), (due) => calls.push(due));
    scheduler.start();
    await vi.advanceTimersByTimeAsync(MIN);
    // 12:01:30, the loop asleep for 30 s: the clock is stepped back to 11:01:10. It wakes at
    // 11:01:40, sees the clock went backwards and runs on from there: 11:02, 11:03, 11:04.
    // Without starting again from the new time the job would wait an hour for 12:02.
    vi.setSystemTime(Date.parse('2026-06-01T11:01:10Z'));
    await vi.advanceTimersByTimeAsync(3 * MIN);
    expect(calls).toEqual([
      Date.parse('2026-06-01T12:01:00Z'),
      Date.parse('2026-06-01T11:02:00Z'),
      Date.parse('2026-06-01T11:03:00Z'),
      Date.parse('2026-06-01T11:04:00Z'),
    ]);
    expect(warnings.some((w) => w.includes('backwards'))).toBe(true);
    scheduler.stop();
  });

  it('calls nothing after stop, and says when each job is next due', async () => {
    const { scheduler, calls } = make();
    scheduler.add('export', parseCron('15 0 * * *', 'Europe/London'), (due) => calls.push(due));
    scheduler.start();
    // 00:15 BST on 2 June is 23:15 UTC on 1 June.
    expect(scheduler.nextDue('export')).toBe(Date.parse('2026-06-01T23:15:00Z'));
    scheduler.stop();
    await vi.advanceTimersByTimeAsync(24 * 60 * MIN);
    expect(calls).toEqual([]);
  });
});
