import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { parseCron } from '../core/cron.js';
import { AppError, describeError } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { startMetricsServer } from '../io/metrics-server.js';
import {
  exportOnce,
  finishPendingErasure,
  ingestOnce,
  keptSessions,
  openServiceStore,
  purgeOnce,
} from '../jobs/index.js';
import { ServiceMetrics } from './metrics.js';
import { dueExport, healthWindows } from '../core/catch-up.js';
import { failureKind, isOperationalError } from './failure-kind.js';
import { assessHealth, type ServiceState } from './health.js';
import { JobRunner } from './job-runner.js';
import { Releasers } from './releasers.js';
import { Scheduler } from './scheduler.js';

/** The pause between two polls of a backlog drain, out of the write lock. */
const BACKLOG_PAUSE_MS = 150;

/** A running service: `stop` ends it, `done` resolves with the exit code once it has. */
export type Service = {
  stop(reason: string, fatal?: unknown): Promise<void>;
  readonly done: Promise<number>;
};

/**
 * Starts the long-running service: polls and exports on their schedules, never overlapping,
 * each job under the store's write lock; one SSH session kept across polls; the export that
 * is due caught up at start; /metrics and /healthz when configured. Everything it takes is
 * released in reverse order by `stop`, which lets the current job reach a transaction
 * boundary first.
 */
export async function startService(
  config: Config & { file: string },
  log: Logger,
): Promise<Service> {
  const releasers = new Releasers();
  const handle = await openServiceStore(config);
  releasers.add('store', () => handle.close());
  const store = handle.store;
  const sessions = keptSessions(config, log);
  releasers.add('ssh session', () => sessions.close());

  let stopping: Promise<void> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));
  const runner = new JobRunner({
    log,
    clock: Date.now,
    elapsed: () => performance.now(),
    baseBackoffMs: 15_000,
    maxBackoffMs: config.schedule.maxBackoffSeconds * 1000,
    isOperational: isOperationalError,
    onFatal: (err) => void stop('fatal', err),
  });
  releasers.add('jobs', () => runner.stop());
  const abort = new AbortController();
  // Stopping asks the job in progress to stop at its next boundary, then waits for it.
  releasers.add('the current job', () => abort.abort());

  const state: ServiceState = { startedAt: Date.now(), startedElapsed: performance.now() };
  // /metrics reads the export's state as health judges it (defined below, read at scrape time).
  const metrics = new ServiceMetrics(() => health().exportOverdue);

  // Set when a poll stopped at maxFilesPerPoll with ready files left: poll again at once.
  let moreWaiting = false;
  const pollOnce = () =>
    runner.tick('poll', async () => {
      const t0 = Date.now();
      moreWaiting = false;
      try {
        const s = await handle.withWriteLock(() =>
          ingestOnce(config, store, log, abort.signal, {}, sessions),
        );
        moreWaiting = s.deferred > 0;
        if (s.stoppedEarly && s.stoppedEarly !== 'shutdown requested') {
          throw new AppError('INGEST_INCOMPLETE', `ingest stopped early: ${s.stoppedEarly}`);
        }
        metrics.recordIngest(s, Date.now());
        state.lastPollOkAt = Date.now();
        state.lastPollOkElapsed = performance.now();
        state.lastPollFailure = undefined;
      } catch (err) {
        state.lastPollFailure = failureKind(err);
        metrics.recordFailure('poll', (Date.now() - t0) / 1000, state.lastPollFailure);
        throw err;
      }
    });
  /**
   * One schedule tick: polls, and polls again right away while a backlog remains (after an
   * outage, 100,000 files drain in one go instead of one maxFilesPerPoll slice per tick).
   * Memory stays flat: each poll is a bounded slice.
   */
  const poll = async () => {
    while ((await pollOnce()) === 'ran' && moreWaiting && !abort.signal.aborted) {
      log.info({ job: 'poll' }, 'more files are ready: polling again now');
      // Out of the write lock for a moment: a command waiting for it (an analyst's export)
      // gets its turn during a long drain instead of timing out.
      await sleep(BACKLOG_PAUSE_MS);
    }
  };
  const tz = config.schedule.timezone;
  const pollSchedule = parseCron(config.schedule.poll, tz);
  const exportSchedule = parseCron(config.schedule.export, tz);

  let exportRetry: ReturnType<typeof setTimeout> | undefined;
  releasers.add('export retry', () => clearTimeout(exportRetry));
  /**
   * The scheduled export that came due at `dueMs` (a tick, or at start one the service missed):
   * every changed day plus yesterday. Recorded in the store as due before it starts and as
   * completed once every file is written, so a kill in between is caught up at the next
   * start; a failure is tried again after the backoff, not a day later.
   */
  const exportJob = async (dueMs: number): Promise<void> => {
    clearTimeout(exportRetry);
    // The oldest export still due is what health reports as overdue.
    if (state.exportDueSince === undefined) {
      state.exportDueSince = dueMs;
      state.exportDueSinceElapsed = performance.now();
    }
    // A tick that comes while an export runs (a long catch-up at start) runs after it.
    const outcome = await runner.tick(
      'export',
      async () => {
        const t0 = Date.now();
        const s = await handle
          .withWriteLock(async () => {
            store.recordExportDue(dueMs);
            const summary = await exportOnce(config, store, log, undefined, abort.signal);
            if (summary.failures.length === 0 && !abort.signal.aborted)
              store.completeExportDue(t0, Date.now());
            return summary;
          })
          .catch((err: unknown) => {
            state.lastExportFailure = failureKind(err);
            metrics.recordFailure('export', (Date.now() - t0) / 1000, state.lastExportFailure);
            throw err;
          });
        if (s.failures.length) {
          state.lastExportFailure = 'export-write';
          metrics.recordFailure('export', s.seconds, state.lastExportFailure);
          throw new AppError('EXPORT_FAILED', `${s.failures.length} export file(s) not written`);
        }
        metrics.recordExport(s.seconds, Date.now());
        state.lastExportOkAt = Date.now();
        state.exportDueSince = undefined;
        state.exportDueSinceElapsed = undefined;
        state.lastExportFailure = undefined;
      },
      { whileRunning: 'queue' },
    );
    // Still due after a failure, or after a tick that fell inside the backoff (which cleared
    // the retry above): try again when the backoff ends.
    if ((outcome === 'failed' || outcome === 'skipped-backoff') && !stopping) {
      const retryInMs = runner.retryInMs('export');
      if (outcome === 'failed')
        log.warn(
          { job: 'export', due: new Date(dueMs).toISOString(), retryInMs },
          'the export stays due: it is tried again after the backoff',
        );
      clearTimeout(exportRetry);
      exportRetry = setTimeout(() => void exportJob(dueMs), retryInMs);
    }
    if (outcome !== 'ran' && outcome !== 'failed') return;
    // Retention after each daily export; its failures are logged and retried next time.
    await runner.tick('purge', async () => {
      const s = await handle.withWriteLock(() =>
        purgeOnce(config, store, log, false, abort.signal, sessions),
      );
      if (s.failures.length)
        throw new AppError('PURGE_INCOMPLETE', `retention: ${s.failures.join('; ')}`);
    });
    // An erasure a reader or a full disk held back at start is tried again each day.
    await runner.tick('erase', async () => {
      await handle.withWriteLock(() => finishPendingErasure(config, store, log));
    });
  };

  // What is due at start: an export the store recorded as not completed (a kill, a failure
  // before the restart), or a run of the schedule that passed while the service was down.
  const dueAtStart = dueExport(store.exportDue(), exportSchedule.previous(Date.now()));
  if (dueAtStart && !dueAtStart.completed) {
    state.exportDueSince = dueAtStart.dueAt;
    state.exportDueSinceElapsed = state.startedElapsed;
  }
  const { pollIntervalMs, exportGraceMs } = healthWindows(pollSchedule, Date.now());
  const health = () =>
    assessHealth(state, Date.now(), pollIntervalMs, exportGraceMs, performance.now());
  if (config.metrics.port !== null) {
    let server: Awaited<ReturnType<typeof startMetricsServer>>;
    try {
      server = await startMetricsServer(metrics, health, config.metrics.host, config.metrics.port);
    } catch (err) {
      await releasers.releaseAll(log);
      throw new AppError(
        'METRICS',
        `cannot serve metrics on ${config.metrics.host}:${config.metrics.port}: ${describeError(err)}; choose another metrics.port, or remove it`,
        { exitCode: 2 },
      );
    }
    releasers.add('metrics server', () => server.close());
    log.info({ url: `${server.address}/metrics` }, 'metrics and /healthz served');
  }

  const scheduler = new Scheduler({ clock: Date.now, log });
  scheduler.add('poll', pollSchedule, () => void poll());
  scheduler.add('export', exportSchedule, (dueMs) => void exportJob(dueMs));
  releasers.add('schedules', () => scheduler.stop());

  /** Stops the schedules, lets the current job reach a boundary, releases everything. */
  function stop(reason: string, fatal?: unknown): Promise<void> {
    stopping ??= (async () => {
      // Armed before anything else can fail: whatever happens next, the process is out
      // within shutdownTimeoutSeconds.
      const force = setTimeout(() => {
        log.error(
          { timeoutSeconds: config.service.shutdownTimeoutSeconds },
          'shutdown timed out; exiting',
        );
        process.exit(1);
      }, config.service.shutdownTimeoutSeconds * 1000);
      force.unref();
      log.info({ reason }, 'shutting down: schedules stopped, waiting for the current job');
      await releasers.releaseAll(log);
      if (fatal !== undefined) {
        log.fatal(
          { err: describeError(fatal), stack: (fatal as Error).stack },
          'unexpected error; exiting so the supervisor restarts the service',
        );
        resolveDone(1);
      } else {
        log.info('shutdown complete: store closed');
        resolveDone(0);
      }
    })();
    return stopping;
  }

  log.info(
    {
      config: config.file,
      database: config.database.path,
      poll: config.schedule.poll,
      export: config.schedule.export,
      timezone: tz,
    },
    'service started',
  );
  const { recovered } = handle;
  if (recovered.interruptedRuns)
    log.warn(
      { runs: recovered.interruptedRuns },
      'runs left unfinished by a process that died were recorded as interrupted',
    );
  if (recovered.leftovers)
    log.info({ files: recovered.leftovers }, 'removed temp files left by an interrupted export');
  if (recovered.leftoversError)
    log.warn(
      { err: recovered.leftoversError },
      'could not look for temp files of an interrupted export',
    );
  scheduler.start();
  // An erasure that was interrupted is finished before the first poll (queued like a job,
  // so no poll or export overlaps it).
  void runner.tick('erase', async () => {
    await handle.withWriteLock(() => finishPendingErasure(config, store, log));
  });
  // The first poll does not wait for the first tick of the schedule; an export that is due
  // runs after it (after the backlog it drains), so it includes what arrived while down.
  void poll().then(() => {
    // (A tick of the schedule may have exported meanwhile.)
    if (!dueAtStart || dueAtStart.completed || stopping || state.exportDueSince === undefined)
      return;
    log.info(
      { job: 'export', due: new Date(dueAtStart.dueAt).toISOString() },
      'the scheduled export has not completed since it came due: exporting now',
    );
    return exportJob(dueAtStart.dueAt);
  });
  return { stop, done };
}
