import { posix } from 'node:path';
import { FileSelector, type EntryKind, type RemoteEntry } from '../core/select-files.js';
import { MESSAGE_TYPES } from '../core/events.js';
import { AppError, StoreStageFailure, describeError, sftpFailureOf } from '../errors.js';
import type { Clock, IngestStore, KnownFile, Log, Source } from './ports.js';
import { ByteBudget, mapPool } from './pool.js';
import { finishFiles, type ToFinish } from './ingest/finish.js';
import { QUARANTINE_HEAD_BYTES } from './ingest/landed.js';
import { prepareFile, type Work } from './ingest/prepare.js';
import { reconcileUnfinished } from './ingest/reconcile.js';

export type IngestOptions = {
  remoteDir: string;
  pattern: string;
  afterIngest: 'move' | 'delete' | 'keep';
  processedDir: string;
  errorDir: string;
  minFileAgeSeconds: number;
  maxFileBytes: number;
  /** A file with more events is quarantined (sftp.maxEventsPerFile). */
  maxEventsPerFile?: number;
  maxFilesPerPoll: number;
  parseGraceSeconds: number;
  concurrency: number;
  sourceTimeZone: string;
  /** Files listed and fetched per round (each round commits in one or more slices). */
  batchSize?: number;
  /** A slice is committed once it holds this many events (default 10,000). */
  sliceEvents?: number;
  /** File bytes held at once, fetched and not yet committed (default 8 MiB). */
  memoryBudgetBytes?: number;
};

const DEFAULT_SLICE_EVENTS = 10_000;
const DEFAULT_MEMORY_BUDGET_BYTES = 8 * 1024 * 1024;

/** The bytes a file's work holds until its slice is committed. */
function bytesToHold(entry: RemoteEntry, maxFileBytes: number): number {
  return entry.size > maxFileBytes ? Math.min(QUARANTINE_HEAD_BYTES, entry.size) : entry.size;
}

export type IngestSummary = {
  listed: number;
  matched: number;
  young: number;
  /** Matching entries that are not regular files, by kind (never read, moved or deleted). */
  skipped: Partial<Record<EntryKind, number>>;
  deferred: number;
  fetched: number;
  /** Files recognised from an earlier run (by content or identity) and only finished now. */
  alreadyProcessed: number;
  /** With afterIngest keep: files already kept, and how many were read again to compare. */
  kept: { known: number; rechecked: number };
  newEvents: Record<string, number>;
  duplicates: number;
  conflicts: number;
  otherEvents: number;
  quarantined: { file: string; reason: string; detail: string }[];
  /** Unreadable files still inside the parse grace period, or changed since the listing. */
  waiting: { file: string; detail: string }[];
  /** Files that changed on the server after they were read: read again by the next poll. */
  changed: { file: string; change: string; detail: string }[];
  finished: { moved: number; deleted: number; kept: number };
  finishErrors: { file: string; error: string }[];
  /** Files the server refused to give (denied, vanished): that file's error, the poll goes on. */
  fetchErrors: { file: string; error: string }[];
  /** Selected files not read because the run stopped early: they stay for the next poll. */
  notFetched: number;
  /**
   * Matching files left in the folder after this poll: young, deferred, waiting, not read,
   * refused, changed, or stored but not finished.
   */
  leftOnServer: number;
  /** Set when the run stopped early (connection lost, shutdown). */
  stoppedEarly?: string;
  seconds: number;
};

type Deps = { source: Source; store: IngestStore; log: Log; clock: Clock; signal?: AbortSignal };

/**
 * One poll: list, choose, fetch with many requests in flight, parse, commit in slices, and
 * only then move/delete each file, checking that what is finished is what was stored.
 * Returns what happened instead of throwing halfway; a lost connection ends the run early
 * with `stoppedEarly` set and everything committed so far kept.
 */
export async function runIngest(deps: Deps, opts: IngestOptions): Promise<IngestSummary> {
  const { source, store, log, clock } = deps;
  const started = clock();
  const summary: IngestSummary = {
    listed: 0,
    matched: 0,
    young: 0,
    skipped: {},
    deferred: 0,
    fetched: 0,
    alreadyProcessed: 0,
    kept: { known: 0, rechecked: 0 },
    newEvents: Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])),
    duplicates: 0,
    conflicts: 0,
    otherEvents: 0,
    quarantined: [],
    waiting: [],
    changed: [],
    finished: { moved: 0, deleted: 0, kept: 0 },
    finishErrors: [],
    fetchErrors: [],
    notFetched: 0,
    leftOnServer: 0,
    seconds: 0,
  };

  // A mistyped remoteDir must not be created and then polled "successfully" forever: only
  // the processed and error folders are ever made.
  if (!(await source.exists(opts.remoteDir))) {
    throw new AppError(
      'REMOTE_DIR',
      `sftp.remoteDir ${opts.remoteDir} does not exist on the server; check the path (\`webio-reports doctor\` lists the folder)`,
    );
  }
  if (opts.afterIngest === 'move') await source.ensureDir(opts.processedDir);
  await source.ensureDir(opts.errorDir);

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
  const selector = new FileSelector({
    ...opts,
    nowMs: clock(),
    ownFolders,
    ...(opts.afterIngest === 'keep'
      ? {
          lastChecked: (e: RemoteEntry) => {
            const k = keptFile(e);
            return k && (k.checkedAt ?? 0);
          },
        }
      : {}),
  });
  const visit = (entries: RemoteEntry[]): void => {
    selector.add(entries);
    for (const e of entries) if (unfinishedNames.has(e.name)) present.add(e.name);
  };
  await source.listEach(opts.remoteDir, visit);
  const finishOpts = { ...opts };
  const leftovers = await reconcileUnfinished(deps, finishOpts, unfinished, present, summary);
  const sel = selector.result();
  summary.skipped = sel.skipped;
  if (Object.keys(sel.skipped).length)
    log.info(
      { skipped: sel.skipped },
      'entries matching the pattern that are not regular files are left alone',
    );
  // Files only: the processed/ and error/ folders inside remoteDir are not "listed" work.
  summary.listed = selector.files;
  summary.matched = sel.selected.length + sel.young.length + sel.deferred;
  summary.young = sel.young.length;
  summary.deferred = sel.deferred;
  summary.kept.known = sel.kept;
  log.debug(
    { listed: selector.entries, selected: sel.selected.length, young: sel.young.length },
    'listed',
  );

  // New files first, oldest first; then kept files to read again, least recently checked.
  const todo: { entry: RemoteEntry; recheck?: KnownFile }[] = sel.selected.map((entry) => ({
    entry,
  }));
  for (const entry of sel.recheck) {
    const recheck = keptFile(entry);
    if (recheck) todo.push({ entry, recheck });
  }

  const batchSize = opts.batchSize ?? 1000;
  const sliceEvents = opts.sliceEvents ?? DEFAULT_SLICE_EVENTS;
  const budget = new ByteBudget(opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET_BYTES);
  const pendingFinishes: Promise<void>[] = [];
  let loopError: unknown;

  /** Commits one slice of prepared files in one transaction, then starts finishing them. */
  const commitSlice = (work: readonly Work[]): void => {
    const toCommit = work.filter(
      (w): w is Extract<Work, { kind: 'commit' }> => w.kind === 'commit',
    );
    let commits;
    try {
      commits = toCommit.length
        ? store.commitBatch(
            toCommit.map((w) => w.item),
            clock(),
          )
        : [];
    } catch (err) {
      throw new StoreStageFailure('commit', summary.fetched, err);
    }
    summary.fetched += toCommit.length;
    const finishes: ToFinish[] = [];
    toCommit.forEach((w, j) => {
      const c = commits[j];
      if (!c) return;
      for (const [type, n] of Object.entries(c.newByType))
        summary.newEvents[type] = (summary.newEvents[type] ?? 0) + n;
      summary.duplicates += c.duplicates;
      summary.conflicts += c.conflicts;
      summary.otherEvents += c.other;
      if (w.item.kind === 'quarantine') {
        summary.quarantined.push({
          file: w.entry.name,
          reason: w.item.reason,
          detail: w.item.detail,
        });
        log.warn(
          { file: w.entry.name, reason: w.item.reason, detail: w.item.detail },
          'file quarantined',
        );
      }
      const f = w.item.file;
      finishes.push({
        name: w.entry.name,
        fileId: c.fileId,
        quarantine: w.item.kind === 'quarantine',
        stored: { size: f.size, mtimeMs: f.mtimeMs, contentHash: f.contentHash },
      });
    });
    const checked: number[] = [];
    for (const w of work) {
      if (w.kind === 'wait') summary.waiting.push({ file: w.entry.name, detail: w.detail });
      if (w.kind === 'unchanged') checked.push(w.known.id);
      if (w.kind === 'finish-only') {
        summary.alreadyProcessed++;
        finishes.push({
          name: w.entry.name,
          fileId: w.known.id,
          quarantine: w.known.outcome === 'quarantined',
          stored: w.known,
        });
      }
    }
    try {
      store.recordChecked(checked, clock());
    } catch (err) {
      throw new StoreStageFailure('record-finishes', summary.fetched, err);
    }
    // Finishing this slice overlaps with fetching the next one.
    if (finishes.length)
      pendingFinishes.push(
        finishFiles(deps, finishOpts, finishes, summary).catch((err: unknown) => {
          throw new StoreStageFailure('record-finishes', summary.fetched, err);
        }),
      );
  };

  let unread = 0;
  try {
    for (let i = 0; i < todo.length; i += batchSize) {
      if (deps.signal?.aborted) {
        summary.stoppedEarly = 'shutdown requested';
        unread += todo.length - i;
        break;
      }
      const chunk = todo.slice(i, i + batchSize);
      // Files are fetched many at a time but committed in listing order (oldest first, so
      // the first of two conflicting sends is the older file's whatever the network did), in
      // slices bounded by events and by bytes held: memory stays flat whatever the files
      // hold, and a crash loses at most one uncommitted slice.
      // A file's work waits here only until the files before it are done: then it moves to
      // the slice, and the slot keeps no reference (parsed events must not outlive their
      // commit).
      const done: (Work | null | undefined)[] = new Array(chunk.length);
      const held = new Array<number>(chunk.length).fill(0);
      let nextInOrder = 0;
      let slice: Work[] = [];
      let sliceHeld = 0;
      let sliceEventCount = 0;
      // A failed commit (full disk, store locked) ends the run like any store failure; the
      // files still in flight are left for the next poll.
      let commitError: unknown;
      const flush = (): void => {
        if (!slice.length && !sliceHeld) return;
        const work = slice;
        const bytes = sliceHeld;
        slice = [];
        sliceHeld = 0;
        sliceEventCount = 0;
        try {
          if (commitError === undefined) commitSlice(work);
        } catch (err) {
          commitError = err;
        } finally {
          budget.release(bytes);
        }
      };
      const settle = (j: number, work: Work | null): void => {
        done[j] = work;
        while (nextInOrder < chunk.length && done[nextInOrder] !== undefined) {
          const w = done[nextInOrder];
          done[nextInOrder] = null;
          if (w) {
            slice.push(w);
            if (w.kind === 'commit' && w.item.kind === 'ingest')
              sliceEventCount += w.item.events.length;
          }
          sliceHeld += held[nextInOrder] ?? 0;
          nextInOrder++;
        }
        if (sliceEventCount >= sliceEvents || budget.hasWaiters()) flush();
      };
      const prepared = await mapPool(chunk, opts.concurrency, async ({ entry, recheck }, j) => {
        held[j] = await budget.acquire(bytesToHold(entry, opts.maxFileBytes));
        let work: Work | undefined;
        try {
          // Asked to stop: what is read so far is committed and finished, the rest is left.
          if (deps.signal?.aborted) unread++;
          else if (commitError === undefined)
            work = await prepareFile(deps, opts, entry, leftovers > 0, recheck);
        } catch (err) {
          settle(j, null);
          throw err;
        }
        settle(j, work ?? null);
      });
      flush();
      if (commitError !== undefined) throw commitError;
      summary.kept.rechecked += chunk.filter((c, j) => c.recheck && prepared[j]?.ok).length;

      let connectionLost: unknown;
      prepared.forEach((r, j) => {
        if (r.ok) return;
        const entry = (chunk[j] as { entry: RemoteEntry }).entry;
        if (sftpFailureOf(r.error) === 'connection' || sftpFailureOf(r.error) === undefined) {
          // One lost connection fails every file in flight: counted, not listed one by one.
          connectionLost ??= r.error;
          unread++;
        } else summary.fetchErrors.push({ file: entry.name, error: describeError(r.error) });
      });
      if (connectionLost !== undefined) {
        summary.stoppedEarly = describeError(connectionLost);
        unread += todo.length - (i + chunk.length);
        break;
      }
    }
  } catch (err) {
    loopError = err;
  }
  // Moves already under way finish (or fail and are recorded) before the run ends, even when
  // a commit failed: nothing is left running behind a returned or thrown result.
  const settled = await Promise.allSettled(pendingFinishes);
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
