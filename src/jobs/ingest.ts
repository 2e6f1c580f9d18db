import type { Config } from '../config/schema.js';
import { StoreStageFailure, asStoreError, describeError, sftpFailureOf } from '../errors.js';
import type { Logger } from '../io/logger.js';
import { SessionKeeper } from '../io/session-keeper.js';
import { SftpSource } from '../io/sftp/index.js';
import type { SqliteStore } from '../io/store/index.js';
import { runIngest, type IngestOptions, type IngestSummary } from '../pipeline/ingest/index.js';
import { recordFailure, storeStep } from './store.js';

/** The service's SSH session, kept across its polls (and lent to purge). */
export type KeptSessions = SessionKeeper<SftpSource>;

/** A session keeper for `run`: closes the session after `sftp.sessionIdleSeconds` idle. */
export function keptSessions(config: Config, log: Logger): KeptSessions {
  return new SessionKeeper(
    () => SftpSource.connect(config.sftp, log),
    config.sftp.sessionIdleSeconds * 1000,
  );
}

/** One poll against the configured server, recorded in the store's run history. */
export async function ingestOnce(
  config: Config,
  store: SqliteStore,
  log: Logger,
  signal?: AbortSignal,
  /** How slices are cut (tests and the bench; the service uses the defaults). */
  tuning: Pick<IngestOptions, 'sliceEvents' | 'batchSize' | 'memoryBudgetBytes'> = {},
  /** The service's kept SSH session; without it, a session of this poll's own. */
  sessions?: KeptSessions,
): Promise<IngestSummary> {
  const runId = storeStep(config, () => store.startRun('ingest', Date.now()));
  const runLog = log.child({ run: runId, job: 'ingest' });
  const kept = sessions ?? new SessionKeeper(() => SftpSource.connect(config.sftp, runLog), 0);
  let failed = true;
  try {
    const poll = (source: SftpSource) =>
      runIngest(
        { source, store, log: runLog, clock: Date.now, ...(signal ? { signal } : {}) },
        { ...config.sftp, sourceTimeZone: config.source.timezone, ...tuning },
      );
    const { session, reused } = await kept.acquire();
    let summary: IngestSummary;
    try {
      summary = await poll(session);
    } catch (err) {
      // A kept session the server dropped while it was idle fails at the first request:
      // connect again once, at once, instead of failing the poll into a backoff.
      if (!reused || sftpFailureOf(err) !== 'connection') throw err;
      runLog.info({ err: describeError(err) }, 'the kept SSH session was gone: connecting again');
      await kept.release(true);
      summary = await poll((await kept.acquire()).session);
    }
    const stopped =
      summary.stoppedEarly !== undefined && summary.stoppedEarly !== 'shutdown requested';
    failed = stopped;
    try {
      store.endRun(
        runId,
        !stopped,
        summary,
        stopped ? (summary.stoppedEarly ?? null) : null,
        Date.now(),
      );
    } catch (err) {
      throw new StoreStageFailure('record-run', summary.fetched, err);
    }
    runLog.info(
      { summary: compactSummary(summary) },
      stopped ? 'ingest stopped early' : 'ingest done',
    );
    return summary;
  } catch (err) {
    const failure = asStoreError(config.database.path, err);
    recordFailure(store, runId, failure, runLog);
    throw failure;
  } finally {
    // A session that failed is not kept; one that worked waits for the next poll.
    await kept.release(failed);
  }
}

function compactSummary(s: IngestSummary): object {
  return {
    listed: s.listed,
    fetched: s.fetched,
    changed: s.changed.length,
    notFetched: s.notFetched,
    newEvents: s.newEvents,
    duplicates: s.duplicates,
    conflicts: s.conflicts,
    otherEvents: s.otherEvents,
    quarantined: s.quarantined.length,
    waiting: s.waiting.length,
    finishErrors: s.finishErrors.length,
    fetchErrors: s.fetchErrors.length,
    seconds: s.seconds,
  };
}
