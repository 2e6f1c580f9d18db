import type { CronSchedule } from '../core/cron.js';
import type { Clock, Log } from '../pipeline/ports.js';

/** Called with the scheduled instant that came due (epoch ms). */
export type DueHandler = (dueMs: number) => void;

/** The clock the loop reads, where it logs, and how long it may sleep at most. */
export type SchedulerOptions = {
  clock: Clock;
  log: Log;
  /**
   * The longest single sleep. Timers run on the monotonic clock, so a sleep until 00:15
   * would not notice the wall clock being stepped (NTP, a resumed VM); waking at least this
   * often does.
   */
  maxSleepMs?: number;
};

type Job = {
  name: string;
  schedule: CronSchedule;
  onDue: DueHandler;
  nextDue: number | undefined;
  timer?: ReturnType<typeof setTimeout>;
};

/**
 * The timer loop over cron schedules (what is due comes from `core/cron.ts`, as graphile/worker
 * keeps its cron matcher apart from its timer). Each job sleeps until its next run, then calls
 * its handler once with that run's instant. Runs missed while the process was paused or the
 * clock jumped forward are not replayed one by one: the handler is called once, with the
 * latest instant that came due (the service's export catch-up covers what a missed export
 * left undone). A clock stepped backwards starts the job's schedule again from the new time.
 */
export class Scheduler {
  private readonly jobs: Job[] = [];
  private readonly maxSleepMs: number;
  private running = false;
  private lastSeen = -Infinity;

  constructor(private readonly opts: SchedulerOptions) {
    this.maxSleepMs = opts.maxSleepMs ?? 30_000;
  }

  /** Adds a job; it starts with `start()`. */
  add(name: string, schedule: CronSchedule, onDue: DueHandler): void {
    this.jobs.push({ name, schedule, onDue, nextDue: undefined });
  }

  /** Arms every job from the current time. */
  start(): void {
    this.running = true;
    const now = this.now();
    for (const job of this.jobs) {
      job.nextDue = job.schedule.next(now);
      this.arm(job, now);
    }
  }

  /** Stops every timer; no handler is called after this returns. */
  stop(): void {
    this.running = false;
    for (const job of this.jobs) clearTimeout(job.timer);
  }

  /** The next instant a job is due, for health and logs. */
  nextDue(name: string): number | undefined {
    return this.jobs.find((j) => j.name === name)?.nextDue;
  }

  private now(): number {
    const now = this.opts.clock();
    if (now < this.lastSeen) {
      this.opts.log.warn(
        { steppedBackMs: this.lastSeen - now },
        'the wall clock went backwards: schedules start again from the new time',
      );
      for (const job of this.jobs) job.nextDue = job.schedule.next(now);
    }
    this.lastSeen = now;
    return now;
  }

  private arm(job: Job, now: number): void {
    clearTimeout(job.timer);
    if (!this.running || job.nextDue === undefined) return;
    const delay = Math.min(Math.max(job.nextDue - now, 0), this.maxSleepMs);
    job.timer = setTimeout(() => this.wake(job), delay);
  }

  private wake(job: Job): void {
    if (!this.running) return;
    const now = this.now();
    const due = job.nextDue;
    if (due !== undefined && now >= due) {
      // Several runs may have passed (a paused process, a clock stepped forward): one call,
      // for the latest of them.
      const latest = job.schedule.previous(now) ?? due;
      if (latest > due)
        this.opts.log.warn(
          { job: job.name, due: new Date(due).toISOString(), now: new Date(now).toISOString() },
          `${job.name} is late (the clock moved forward or the process was paused); running it once now`,
        );
      job.nextDue = job.schedule.next(now);
      this.arm(job, now);
      job.onDue(latest);
      return;
    }
    this.arm(job, now);
  }
}
