import type { Clock, Log } from '../pipeline/ports.js';

export type JobName = 'poll' | 'export' | 'purge' | 'erase';
export type TickOutcome =
  'ran' | 'failed' | 'skipped-running' | 'skipped-backoff' | 'skipped-stopping';

/** `nextAllowedAt` is on the `elapsed` clock, which a wall-clock step does not move. */
type JobState = {
  running: boolean;
  /** A tick waits for the job in progress (`whileRunning: 'queue'`). */
  queued: boolean;
  failures: number;
  nextAllowedAt: number;
};

export type JobRunnerOptions = {
  log: Log;
  /** The wall clock: only for the times the log shows. */
  clock: Clock;
  /**
   * A monotonic clock in ms (`performance.now`): backoffs are measured on it, so a wall clock
   * stepped back (NTP, a VM resumed) never holds the jobs back for the size of the step.
   */
  elapsed: () => number;
  /** First retry delay after a failure; doubles with each further failure. */
  baseBackoffMs: number;
  maxBackoffMs: number;
  /** Tells an operational failure (retry later) from a bug (let the process die). */
  isOperational: (err: unknown) => boolean;
  /** Called with an unexpected error; the service exits so pm2 restarts it. */
  onFatal: (err: unknown) => void;
};

/**
 * Runs scheduled jobs one at a time. A tick that finds its job already running or waiting is
 * skipped; after a failure the job backs off exponentially (ticks inside the backoff are
 * skipped). Jobs of different names queue behind each other so they never overlap on the
 * store.
 */
export class JobRunner {
  private readonly state = new Map<JobName, JobState>();
  private chain: Promise<unknown> = Promise.resolve();
  private stopping = false;

  constructor(private readonly opts: JobRunnerOptions) {}

  private stateOf(name: JobName): JobState {
    let s = this.state.get(name);
    if (!s) {
      s = { running: false, queued: false, failures: 0, nextAllowedAt: 0 };
      this.state.set(name, s);
    }
    return s;
  }

  /** The delay before the next try after `failures` consecutive failures. */
  backoffMs(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (failures - 1));
  }

  /** How long until `name` may run again after its failures (0: at once). */
  retryInMs(name: JobName): number {
    return Math.max(0, this.stateOf(name).nextAllowedAt - this.opts.elapsed());
  }

  /**
   * Handles one schedule tick of `name`. Resolves when the job ran (or was skipped). With
   * `whileRunning: 'queue'`, a tick that finds the job running is not dropped: it runs once
   * the job in progress ends (one such tick waits at a time; more are skipped), so a scheduled
   * export that comes due during a long catch-up export still runs, after it.
   */
  tick(
    name: JobName,
    job: () => Promise<void>,
    options: { whileRunning?: 'skip' | 'queue' } = {},
  ): Promise<TickOutcome> {
    const { log } = this.opts;
    const s = this.stateOf(name);
    if (this.stopping) return Promise.resolve('skipped-stopping');
    if (s.running) {
      if (options.whileRunning === 'queue' && !s.queued) {
        s.queued = true;
        log.info({ job: name }, `${name} tick queued: it runs when the ${name} in progress ends`);
        return this.enqueue(name, s, job, () => (s.queued = false));
      }
      log.warn({ job: name }, `${name} tick skipped: the previous ${name} is still running`);
      return Promise.resolve('skipped-running');
    }
    if (this.backingOff(name, s)) return Promise.resolve('skipped-backoff');
    s.running = true;
    return this.enqueue(name, s, job);
  }

  /** True (and logged) while `name` backs off after failures. */
  private backingOff(name: JobName, s: JobState): boolean {
    if (this.opts.elapsed() >= s.nextAllowedAt) return false;
    const retryAt = new Date(this.opts.clock() + this.retryInMs(name)).toISOString();
    this.opts.log.info(
      { job: name, retryAt, failures: s.failures },
      `${name} tick skipped: backing off after ${s.failures} failure(s)`,
    );
    return true;
  }

  /** Runs `job` after every job before it, recording its success or failure. */
  private enqueue(
    name: JobName,
    s: JobState,
    job: () => Promise<void>,
    onStart?: () => void,
  ): Promise<TickOutcome> {
    const { log, elapsed } = this.opts;
    const run = this.chain.then(async (): Promise<TickOutcome> => {
      if (onStart) {
        // A queued tick: the job it waited for has ended, and may have started a backoff.
        onStart();
        if (this.stopping) return 'skipped-stopping';
        if (this.backingOff(name, s)) return 'skipped-backoff';
        s.running = true;
      }
      if (this.stopping) return 'skipped-stopping';
      try {
        await job();
        s.failures = 0;
        s.nextAllowedAt = 0;
        return 'ran';
      } catch (err) {
        if (!this.opts.isOperational(err)) {
          this.opts.onFatal(err);
          return 'failed';
        }
        s.failures++;
        const delay = this.backoffMs(s.failures);
        s.nextAllowedAt = elapsed() + delay;
        log.error(
          {
            job: name,
            err: err instanceof Error ? err.message : String(err),
            failures: s.failures,
            retryInMs: delay,
          },
          `${name} failed; retrying after backoff`,
        );
        return 'failed';
      } finally {
        s.running = false;
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Refuses new ticks and resolves once the job in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.chain;
  }
}
