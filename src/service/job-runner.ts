import type { Clock, Log } from '../pipeline/ports.js';

export type JobName = 'poll' | 'export' | 'purge' | 'erase';
export type TickOutcome =
  'ran' | 'failed' | 'skipped-running' | 'skipped-backoff' | 'skipped-stopping';

type JobState = { running: boolean; failures: number; nextAllowedAt: number };

export type JobRunnerOptions = {
  log: Log;
  clock: Clock;
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
      s = { running: false, failures: 0, nextAllowedAt: 0 };
      this.state.set(name, s);
    }
    return s;
  }

  /** The delay before the next try after `failures` consecutive failures. */
  backoffMs(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(this.opts.maxBackoffMs, this.opts.baseBackoffMs * 2 ** (failures - 1));
  }

  /** When `name` may run again after its failures (0: at once). */
  retryAt(name: JobName): number {
    return this.stateOf(name).nextAllowedAt;
  }

  /** Handles one schedule tick of `name`. Resolves when the job ran (or was skipped). */
  tick(name: JobName, job: () => Promise<void>): Promise<TickOutcome> {
    const { log, clock } = this.opts;
    const s = this.stateOf(name);
    if (this.stopping) return Promise.resolve('skipped-stopping');
    if (s.running) {
      log.warn({ job: name }, `${name} tick skipped: the previous ${name} is still running`);
      return Promise.resolve('skipped-running');
    }
    if (clock() < s.nextAllowedAt) {
      log.info(
        { job: name, retryAt: new Date(s.nextAllowedAt).toISOString(), failures: s.failures },
        `${name} tick skipped: backing off after ${s.failures} failure(s)`,
      );
      return Promise.resolve('skipped-backoff');
    }
    s.running = true;
    const run = this.chain.then(async (): Promise<TickOutcome> => {
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
        s.nextAllowedAt = clock() + delay;
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
