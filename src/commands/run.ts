import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../config/load.js';
import { parseCron } from '../core/cron.js';
import { AppError, describeError, isTransientStoreError } from '../errors.js';
import { createLogger, flushLog } from '../io/logger.js';
import { finishPendingErasure } from '../erase-job.js';
import { exportOnce, ingestOnce, openServiceStore, purgeOnce } from '../jobs.js';
import { JobRunner } from '../service/job-runner.js';
import { Scheduler } from '../service/scheduler.js';
import { dueExport } from '../service/catch-up.js';
import { failureKind } from '../service/failure-kind.js';
import { assessHealth, healthWindows, type ServiceState } from '../service/health.js';
import { ServiceMetrics, startMetricsServer } from '../io/metrics-server.js';
import type { CommonOptions, Output } from './context.js';

/** The pause between two polls of a backlog drain, out of the write lock. */
const BACKLOG_PAUSE_MS = 150;

/** Operational failures are retried with backoff; anything else is a bug and ends the process. */
export function isOperationalError(err: unknown): boolean {
  if (err instanceof AppError) return true;
  const code = (err as { code?: unknown }).code;
  return isTransientStoreError(err) || (typeof code === 'string' && /^E[A-Z]+$/.test(code));
}

/**
 * `run`: the long-running service pm2 starts. Polls and exports on their schedules, never
 * overlapping; on SIGINT/SIGTERM stops scheduling, lets the current batch reach a
 * transaction boundary, closes SFTP and SQLite and exits 0.
 */
export async function runCommand(opts: CommonOptions, _output: Output): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(opts.config);
  } catch (err) {
    // Under pm2 (wait_ready), say "ready" before exiting with the config error's code 2, so
    // pm2 sees the exit at once, finds 2 in stop_exit_codes and stops the app: no restart
    // loop, no 30 s wait for a ready signal that never comes.
    process.send?.('ready');
    throw err;
  }
  // The service's log is for pm2 and log shippers: JSON unless text is asked for.
  const log = createLogger(config.log.level, 'stdout', opts.logFormat ?? 'json');
  const handle = await openServiceStore(config);
  const store = handle.store;
  const abort = new AbortController();
  let fatal: unknown;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((r) => (resolveDone = r));

  const runner = new JobRunner({
    log,
    clock: Date.now,
    baseBackoffMs: 15_000,
    maxBackoffMs: config.schedule.maxBackoffSeconds * 1000,
    isOperational: isOperationalError,
    onFatal: (err) => {
      fatal = err;
      void shutdown('fatal');
    },
  });

  const state: ServiceState = { startedAt: Date.now() };
  let shuttingDown = false;
  // /metrics reads the export's state as health judges it (defined below, read at scrape time).
  const metrics = new ServiceMetrics(() => health().exportOverdue);
  // Set when a poll stopped at maxFilesPerPoll with ready files left: poll again at once.
  let moreWaiting = false;
  const pollOnce = () =>
    runner.tick('poll', async () => {
      const t0 = Date.now();
      moreWaiting = false;
      try {
        const s = await handle.withWriteLock(() => ingestOnce(config, store, log, abort.signal));
        moreWaiting = s.deferred > 0;
        if (s.stoppedEarly && s.stoppedEarly !== 'shutdown requested') {
          throw new AppError('INGEST_INCOMPLETE', `ingest stopped early: ${s.stoppedEarly}`);
        }
        metrics.recordIngest(s, Date.now());
        state.lastPollOkAt = Date.now();
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
  /**
   * The scheduled export that came due at `dueMs` (a tick, or at start one the service missed):
   * every changed day plus yesterday. Recorded in the store as due before it starts and as
   * completed once every file is written, so a kill in between is caught up at the next
   * start; a failure is tried again after the backoff, not a day later.
   */
  const exportJob = async (dueMs: number): Promise<void> => {
    clearTimeout(exportRetry);
    // The oldest export still due is what health reports as overdue.
    state.exportDueSince ??= dueMs;
    const outcome = await runner.tick('export', async () => {
      const t0 = Date.now();
      const s = await handle
        .withWriteLock(async () => {
          store.recordExportDue(dueMs);
          const summary = await exportOnce(config, store, log);
          if (summary.failures.length === 0) store.completeExportDue(t0, Date.now());
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
      state.lastExportFailure = undefined;
    });
    // Still due after a failure, or after a tick that fell inside the backoff (which cleared
    // the retry above): try again when the backoff ends.
    if ((outcome === 'failed' || outcome === 'skipped-backoff') && !shuttingDown) {
      const retryInMs = Math.max(0, runner.retryAt('export') - Date.now());
      if (outcome === 'failed')
        log.warn(
          { job: 'export', due: new Date(dueMs).toISOString(), retryInMs },
          'the export stays due: it is tried again after the backoff',
        );
      exportRetry = setTimeout(() => void exportJob(dueMs), retryInMs);
    }
    if (outcome !== 'ran' && outcome !== 'failed') return;
    // Retention after each daily export; its failures are logged and retried next time.
    await runner.tick('purge', async () => {
      const s = await handle.withWriteLock(() => purgeOnce(config, store, log));
      if (s.failures.length)
        throw new AppError('PURGE_INCOMPLETE', `retention: ${s.failures.join('; ')}`);
    });
    // An erasure a reader or a full disk held back at start is tried again each day.
    await runner.tick('erase', async () => {
      await handle.withWriteLock(() => finishPendingErasure(config, store, log));
    });
  };

  const scheduler = new Scheduler({ clock: Date.now, log });
  scheduler.add('poll', pollSchedule, () => void poll());
  scheduler.add('export', exportSchedule, (dueMs) => void exportJob(dueMs));
  // What is due at start: an export the store recorded as not completed (a kill, a failure
  // before the restart), or a run of the schedule that passed while the service was down.
  const dueAtStart = dueExport(store.exportDue(), exportSchedule.previous(Date.now()));
  if (dueAtStart && !dueAtStart.completed) state.exportDueSince = dueAtStart.dueAt;
  const { pollIntervalMs, exportGraceMs } = healthWindows(pollSchedule, Date.now());
  const health = () => assessHealth(state, Date.now(), pollIntervalMs, exportGraceMs);
  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (config.metrics.port !== null) {
    try {
      metricsServer = await startMetricsServer(
        metrics,
        health,
        config.metrics.host,
        config.metrics.port,
      );
    } catch (err) {
      handle.close();
      throw new AppError(
        'METRICS',
        `cannot serve metrics on ${config.metrics.host}:${config.metrics.port}: ${describeError(err)}; choose another metrics.port, or remove it`,
        { exitCode: 2 },
      );
    }
    log.info({ url: `${metricsServer.address}/metrics` }, 'metrics and /healthz served');
  }

  async function shutdown(reason: string): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    // Armed before anything else can fail: whatever happens next, the process is out within
    // shutdownTimeoutSeconds.
    const force = setTimeout(() => {
      log.error(
        { timeoutSeconds: config.service.shutdownTimeoutSeconds },
        'shutdown timed out; exiting',
      );
      process.exit(1);
    }, config.service.shutdownTimeoutSeconds * 1000);
    force.unref();
    log.info({ reason }, 'shutting down: schedules stopped, waiting for the current job');
    scheduler.stop();
    clearTimeout(exportRetry);
    abort.abort();
    await runner.stop();
    await metricsServer?.close();
    handle.close();
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
  }

  const onSignal = (sig: NodeJS.Signals) => void shutdown(sig);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.on('uncaughtException', (err) => {
    fatal = err;
    void shutdown('uncaughtException');
  });
  process.on('unhandledRejection', (err) => {
    fatal = err;
    void shutdown('unhandledRejection');
  });

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
  process.send?.('ready');
  // An erasure that was interrupted is finished before the first poll (queued like a job,
  // so no poll or export overlaps it).
  void runner.tick('erase', async () => {
    await handle.withWriteLock(() => finishPendingErasure(config, store, log));
  });
  // The first poll does not wait for the first tick of the schedule; an export that is due
  // runs after it (after the backlog it drains), so it includes what arrived while down.
  void poll().then(() => {
    // (A tick of the schedule may have exported meanwhile.)
    if (!dueAtStart || dueAtStart.completed || shuttingDown || state.exportDueSince === undefined)
      return;
    log.info(
      { job: 'export', due: new Date(dueAtStart.dueAt).toISOString() },
      'the scheduled export has not completed since it came due: exporting now',
    );
    return exportJob(dueAtStart.dueAt);
  });
  const code = await done;
  await flushLog(log);
  return code;
}
