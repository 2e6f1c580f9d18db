import { Cron, type CronOptions } from 'croner';

/**
 * Cron schedules in a time zone: when a job is due, with no timer and no clock (every call
 * takes the instant it reasons from).
 *
 * croner (11+) does the calendar work. Its daylight-saving rules are Vixie cron's, which the
 * service promises: an *interval* job (a `*` or a step in its seconds, minutes or hours
 * field, such as `* * * * *` or `*\/5 * * * *`) runs at every matching real instant, through
 * the repeated autumn hour twice and never in the skipped spring hour, which has no real
 * instant; a *fixed-time* job (`15 0 * * *`, `30 1,2 * * *`) runs once at a wall time that
 * occurs twice, and right after the change for a wall time that does not exist.
 * `fixedTimeRule: "no-wildcard"` is the setting that counts lists and ranges as fixed, as
 * Vixie cron does. node-cron 4.6, which the service used before, skips the first pass
 * through the repeated autumn hour: an hour of polls lost every October.
 */
const OPTIONS: CronOptions = {
  mode: '5-or-6-parts',
  fixedTimeRule: 'no-wildcard',
  paused: true,
};

/** A parsed schedule; the instants are epoch milliseconds. */
export type CronSchedule = {
  readonly expression: string;
  readonly timeZone: string;
  /** The first run strictly after `afterMs`, or undefined when the schedule never runs again. */
  next(afterMs: number): number | undefined;
  /** The latest run at or before `atMs`, or undefined when there is none. */
  previous(atMs: number): number | undefined;
};

/** Why `expression` is not a schedule, or undefined when it is one (time zone aside). */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  if (!expression.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6)
    return `not a cron expression: ${fields.length} field(s); give 5 (minute hour day-of-month month day-of-week), or 6 with a leading seconds field`;
  let cron: Cron;
  try {
    cron = new Cron(expression, { ...OPTIONS, timezone: 'UTC' });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return `not a cron expression (5 fields, or 6 with leading seconds): ${reason}`;
  }
  // A fixed reference, not the clock: a schedule that matches no date (30 February) never runs.
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null)
    return 'this cron expression matches no date, so it would never run';
  return undefined;
}

/** Parses `expression` in the IANA zone `timeZone`; throws when either is invalid. */
export function parseCron(expression: string, timeZone: string): CronSchedule {
  const problem = cronProblem(expression);
  if (problem) throw new TypeError(problem);
  const cron = new Cron(expression, { ...OPTIONS, timezone: timeZone });
  return {
    expression,
    timeZone,
    next: (afterMs) => cron.nextRun(new Date(afterMs))?.getTime(),
    // croner counts a run earlier in the same second as the reference: one millisecond
    // past `atMs` makes a run at exactly `atMs` count.
    previous: (atMs) => cron.previousRuns(1, new Date(atMs + 1))[0]?.getTime(),
  };
}
