import { posix } from 'node:path';
import {
  FileSelector,
  clockAheadSeconds,
  type RemoteEntry,
  type Selection,
} from '../../core/select-files.js';
import { AppError, StoreStageFailure, describeError, sftpFailureOf } from '../../errors.js';
import type { Clock, IngestStore, KnownFile, Log, Source } from '../ports.js';
import { ByteBudget, mapPool } from '../pool.js';
import { commitSlice } from './commit.js';
import { finishFiles } from './finish.js';
import { QUARANTINE_HEAD_BYTES } from './landed.js';
import { OrderedSlices } from './ordered-slices.js';
import { prepareFile, type Work } from './prepare.js';
import { reconcileUnfinished } from './reconcile.js';
import { emptySummary, type IngestOptions, type IngestSummary } from './summary.js';

const DEFAULT_SLICE_EVENTS = 10_000;
const DEFAULT_MEMORY_BUDGET_BYTES = 8 * 1024 * 1024;

export type IngestDeps = {
  source: Source;
  store: IngestStore;
  log: Log;
  clock: Clock;
  signal?: AbortSignal;
};

/** A listed file to read this poll; a kept one read again comes with its record. */
type Todo = { entry: RemoteEntry; recheck?: KnownFile };

/**
 * One poll: list, choose, fetch with many requests in flight, parse, commit in slices, and
 * only then move/delete each file, checking that what is finished is what was stored.
 * Returns what happened instead of throwing halfway; a lost connection ends the run early
 * with `stoppedEarly` set and everything committed so far kept.
 */
export async function runIngest(deps: IngestDeps, opts: IngestOptions): Promise<IngestSummary> {
  const { clock } = deps;
  const started = clock();
  const summary = emptySummary();
  const lap = laps(clock);
  await checkFolders(deps.source, opts);
  summary.phases.checks = lap();
  const { todo, leftovers } = await listAndChoose(deps, opts, summary);
  summary.phases.list = lap();

  const batchSize = opts.batchSize ?? 1000;
  const budget = new ByteBudget(opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES);
  const pendingFinishes: Promise<void>[] = [];
  let unread = 0;
  let loopError: unknown;
  try {
    for (let i = 0; i < todo.length; i += batchSize) {
      if (deps.signal?.aborted) {
        unread += todo.length - i;
        break;
      }
      const chunk = todo.slice(i, i + batchSize);
      const round = await runRound(deps, opts, chunk, leftovers > 0, budget, summary);
      pendingFinishes.push(...round.finishing);
      summary.kept.rechecked += round.rechecked;
      unread += round.unread;
      if (round.connectionLost !== undefined) {
        summary.stoppedEarly = describeError(round.connectionLost);
        unread += todo.length - (i + chunk.length);
        break;
      }
    }
  } catch (err) {
    loopError = err;
  }
  summary.phases.rounds = lap();
  // Moves already under way finish (or fail and are recorded) before the run ends, even when
  // a commit failed: nothing is left running behind a returned or thrown result.
  const settled = await Promise.allSettled(pendingFinishes);
  summary.phases.finishing = lap();
  if (loopError !== undefined) throw loopError;
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  summary.notFetched = unread;
  if (deps.signal?.aborted && unread > 0) summary.stoppedEarly = 'shutdown requested';
  summary.leftOnServer =
    summary.young +
    summary.deferred +
    summary.waiting.length +
    summary.notFetched +
    summary.fetchErrors.length +
    summary.finishErrors.length +
    summary.changed.length;
  summary.seconds = (clock() - started) / 1000;
  return summary;
}

/** Seconds since the last call (the first: since it was made), for the phases of a poll. */
function laps(clock: Clock): () => number {
  let last = clock();
  return () => {
    const now = clock();
    const seconds = (now - last) / 1000;
    last = now;
    return seconds;
  };
}

/**
 * The watched folder must exist (a mistyped remoteDir must not be created and then polled
 * "successfully" forever); the processed and error folders are made when missing. The three
 * stats go out together: one round trip when all is in place.
 */
async function checkFolders(source: Source, opts: IngestOptions): Promise<void> {
  const [remote, ...made] = await Promise.allSettled([
    source.exists(opts.remoteDir),
    ...(opts.afterIngest === 'move' ? [source.ensureDir(opts.processedDir)] : []),
    source.ensureDir(opts.errorDir),
  ]);
  if (remote?.status === 'rejected') throw remote.reason;
  if (remote?.status === 'fulfilled' && !remote.value)
    throw new AppError(
      'REMOTE_DIR',
      `sftp.remoteDir ${opts.remoteDir} does not exist on the server; check the path (\`webio-reports doctor\` lists the folder)`,
    );
  for (const r of made) if (r.status === 'rejected') throw r.reason;
}

/**
 * Lists the folder into the selector, finishes what an earlier run left half-done, and says
 * which files to read: new ones oldest first, then kept ones to read again, least recently
 * checked first. `leftovers`: committed files of earlier runs still in the folder.
 */
async function listAndChoose(
  deps: IngestDeps,
  opts: IngestOptions,
  summary: IngestSummary,
): Promise<{ todo: Todo[]; leftovers: number }> {
  const { source, store, log, clock } = deps;
  const ownFolders = [opts.processedDir, opts.errorDir]
    .filter((d) => posix.dirname(d) === posix.normalize(opts.remoteDir))
    .map((d) => posix.basename(d));
  // Files committed but never finished by an earlier run: is each still in the folder?
  const unfinished = store
    .listUnfinished()
    .filter((f) => posix.dirname(f.remotePath) === opts.remoteDir);
  const unfinishedNames = new Set(unfinished.map((f) => f.name));
  const present = new Set<string>();
  const keptFile = (e: RemoteEntry): KnownFile | undefined => {
    const known = store.findFileByIdentity(posix.join(opts.remoteDir, e.name), e.size, e.mtimeMs);
    return known?.finish === 'kept' ? known : undefined;
  };
  const listedAt = clock();
  const selector = new FileSelector({
    ...opts,
    nowMs: listedAt,
    ownFolders,
    ...(opts.afterIngest === 'keep'
      ? {
          lastChecked: (e: RemoteEntry) => {
            const kept = keptFile(e);
            return kept ? (kept.checkedAt ?? 0) : undefined;
          },
        }
      : {}),
  });
  await source.listEach(opts.remoteDir, (entries) => {
    selector.add(entries);
    for (const e of entries) if (unfinishedNames.has(e.name)) present.add(e.name);
  });
  const leftovers = await reconcileUnfinished(deps, opts, unfinished, present, summary);
  const sel = selector.result();
  countSelection(sel, selector.files, summary);
  const ahead = clockAheadSeconds(sel.young, listedAt);
  if (ahead !== undefined) {
    summary.youngAheadSeconds = ahead;
    log.warn(
      { files: sel.young.length, aheadSeconds: ahead },
      "files are dated ahead of this machine's clock (is the server's clock ahead?): they wait until this clock passes their time plus minFileAgeSeconds",
    );
  }
  if (Object.keys(sel.skipped).length)
    log.info(
      { skipped: sel.skipped },
      'entries matching the pattern that are not regular files are left alone',
    );
  log.debug(
    { listed: selector.entries, selected: sel.selected.length, young: sel.young.length },
    'listed',
  );
  const todo: Todo[] = sel.selected.map((entry) => ({ entry }));
  for (const entry of sel.recheck) {
    const recheck = keptFile(entry);
    if (recheck) todo.push({ entry, recheck });
  }
  return { todo, leftovers };
}

function countSelection(sel: Selection, files: number, summary: IngestSummary): void {
  summary.skipped = sel.skipped;
  // Files only: the processed/ and error/ folders inside remoteDir are not "listed" work.
  summary.listed = files;
  summary.matched = sel.selected.length + sel.young.length + sel.deferred;
  summary.young = sel.young.length;
  summary.deferred = sel.deferred;
  summary.kept.known = sel.kept;
}

/** The bytes a file's work holds until its slice is committed. */
function bytesToHold(entry: RemoteEntry, maxFileBytes: number): number {
  return entry.size > maxFileBytes ? Math.min(QUARANTINE_HEAD_BYTES, entry.size) : entry.size;
}

/**
 * One round of files: fetched many at a time, committed in listing order (oldest first, so
 * the first of two conflicting sends is the older file's whatever the network did) in slices
 * bounded by events and by bytes held, so memory stays flat whatever the files hold and a
 * crash loses at most one uncommitted slice; each slice's files start finishing at once.
 */
async function runRound(
  deps: IngestDeps,
  opts: IngestOptions,
  chunk: readonly Todo[],
  mayBeLeftover: boolean,
  budget: ByteBudget,
  summary: IngestSummary,
): Promise<{
  finishing: Promise<void>[];
  rechecked: number;
  unread: number;
  connectionLost?: unknown;
}> {
  const finishing: Promise<void>[] = [];
  // A failed commit (full disk, store locked) ends the run like any store failure; the
  // files still in flight are left for the next poll.
  let commitError: unknown;
  let unread = 0;
  const slices = new OrderedSlices<Work>(chunk.length, {
    sliceEvents: opts.sliceEvents ?? DEFAULT_SLICE_EVENTS,
    eventsOf: (w) => (w.kind === 'commit' && w.item.kind === 'ingest' ? w.item.events.length : 0),
    mustFlush: () => budget.hasWaiters(),
    commit: (work, bytes) => {
      try {
        if (commitError !== undefined) return;
        const finishes = commitSlice(deps, work, summary);
        // Finishing this slice overlaps with fetching the next one.
        if (finishes.length)
          finishing.push(
            finishFiles(deps, opts, finishes, summary).catch((err: unknown) => {
              throw new StoreStageFailure('record-finishes', summary.fetched, err);
            }),
          );
      } catch (err) {
        commitError = err;
      } finally {
        budget.release(bytes);
      }
    },
  });
  const prepared = await mapPool(chunk, opts.concurrency, async ({ entry, recheck }, j) => {
    slices.hold(j, await budget.acquire(bytesToHold(entry, opts.maxFileBytes)));
    let work: Work | undefined;
    try {
      // Asked to stop: what is read so far is committed and finished, the rest is left.
      if (deps.signal?.aborted) unread++;
      else if (commitError === undefined)
        work = await prepareFile(deps, opts, entry, mayBeLeftover, recheck);
    } catch (err) {
      slices.settle(j, null);
      throw err;
    }
    slices.settle(j, work ?? null);
  });
  slices.flush();
  if (commitError !== undefined) {
    await Promise.allSettled(finishing);
    throw commitError;
  }
  let connectionLost: unknown;
  prepared.forEach((r, j) => {
    if (r.ok) return;
    const entry = (chunk[j] as Todo).entry;
    const kind = sftpFailureOf(r.error);
    if (kind === 'connection' || kind === undefined) {
      // One lost connection fails every file in flight: counted, not listed one by one.
      connectionLost ??= r.error;
      unread++;
    } else summary.fetchErrors.push({ file: entry.name, error: describeError(r.error) });
  });
  const rechecked = chunk.filter((c, j) => c.recheck && prepared[j]?.ok).length;
  return {
    finishing,
    rechecked,
    unread,
    ...(connectionLost !== undefined ? { connectionLost } : {}),
  };
}
