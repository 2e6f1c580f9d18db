import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { parseWebhookFile } from '../core/parse-file.js';
import { FileSelector, type EntryKind, type RemoteEntry } from '../core/select-files.js';
import { MESSAGE_TYPES } from '../core/events.js';
import { AppError, SftpError, describeError } from '../errors.js';
import type {
  BatchItem,
  Clock,
  FileMeta,
  FinishRecord,
  IngestStore,
  KnownFile,
  Log,
  Source,
} from './ports.js';
import { ByteBudget, mapPool } from './pool.js';

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
  newEvents: Record<string, number>;
  duplicates: number;
  conflicts: number;
  otherEvents: number;
  quarantined: { file: string; reason: string; detail: string }[];
  /** Unreadable files still inside the parse grace period: retried on the next poll. */
  waiting: { file: string; detail: string }[];
  finished: { moved: number; deleted: number; kept: number };
  finishErrors: { file: string; error: string }[];
  fetchErrors: { file: string; error: string }[];
  /** Set when the run stopped early (connection lost, shutdown). */
  stoppedEarly?: string;
  seconds: number;
};

/** How much of an oversized file is kept in the quarantine record. */
const QUARANTINE_HEAD_BYTES = 64 * 1024;

type Work =
  | { kind: 'commit'; entry: RemoteEntry; item: BatchItem }
  | { kind: 'finish-only'; entry: RemoteEntry; known: KnownFile }
  | { kind: 'wait'; entry: RemoteEntry; detail: string };

type Deps = { source: Source; store: IngestStore; log: Log; clock: Clock; signal?: AbortSignal };

/**
 * One poll: list, choose, fetch with many requests in flight, parse, commit in batches, and
 * only then move/delete each file. Returns what happened instead of throwing halfway; a lost
 * connection ends the run early with `stoppedEarly` set and everything committed so far kept.
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
    newEvents: Object.fromEntries(MESSAGE_TYPES.map((t) => [t, 0])),
    duplicates: 0,
    conflicts: 0,
    otherEvents: 0,
    quarantined: [],
    waiting: [],
    finished: { moved: 0, deleted: 0, kept: 0 },
    finishErrors: [],
    fetchErrors: [],
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
  const selector = new FileSelector({ ...opts, nowMs: clock(), ownFolders });
  const visit = (entries: RemoteEntry[]): void => {
    selector.add(entries);
    for (const e of entries) if (unfinishedNames.has(e.name)) present.add(e.name);
  };
  await source.listEach(opts.remoteDir, visit);
  const leftovers = await reconcileUnfinished(deps, opts, unfinished, present);
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
  log.debug(
    { listed: selector.entries, selected: sel.selected.length, young: sel.young.length },
    'listed',
  );

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
    const commits = toCommit.length
      ? store.commitBatch(
          toCommit.map((w) => w.item),
          clock(),
        )
      : [];
    summary.fetched += toCommit.length;
    const finishes: { entry: RemoteEntry; fileId: number; quarantine: boolean }[] = [];
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
      finishes.push({
        entry: w.entry,
        fileId: c.fileId,
        quarantine: w.item.kind === 'quarantine',
      });
    });
    for (const w of work) {
      if (w.kind === 'wait') summary.waiting.push({ file: w.entry.name, detail: w.detail });
      if (w.kind === 'finish-only') {
        summary.alreadyProcessed++;
        finishes.push({
          entry: w.entry,
          fileId: w.known.id,
          quarantine: w.known.outcome === 'quarantined',
        });
      }
    }
    // Finishing this slice overlaps with fetching the next one.
    if (finishes.length) pendingFinishes.push(finishAll(deps, opts, finishes, summary));
  };

  try {
    for (let i = 0; i < sel.selected.length; i += batchSize) {
      if (deps.signal?.aborted) {
        summary.stoppedEarly = 'shutdown requested';
        break;
      }
      const chunk = sel.selected.slice(i, i + batchSize);
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
      const prepared = await mapPool(chunk, opts.concurrency, async (entry, j) => {
        held[j] = await budget.acquire(bytesToHold(entry, opts.maxFileBytes));
        let work: Work | undefined;
        try {
          if (commitError === undefined) work = await prepareFile(deps, opts, entry, leftovers > 0);
        } catch (err) {
          settle(j, null);
          throw err;
        }
        settle(j, work ?? null);
      });
      flush();
      if (commitError !== undefined) throw commitError;

      let connectionLost: unknown;
      prepared.forEach((r, j) => {
        if (r.ok) return;
        const entry = chunk[j] as RemoteEntry;
        summary.fetchErrors.push({ file: entry.name, error: describeError(r.error) });
        if (!isFileLevelError(r.error)) connectionLost ??= r.error;
      });
      if (connectionLost !== undefined) {
        summary.stoppedEarly = describeError(connectionLost);
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
  summary.seconds = (clock() - started) / 1000;
  return summary;
}

/**
 * A file committed but not recorded as finished, and no longer in the folder, was moved or
 * deleted just before a crash: record where it went. One still in the folder is finished by
 * this poll as usual.
 */
async function reconcileUnfinished(
  deps: Deps,
  opts: IngestOptions,
  unfinished: ReturnType<IngestStore['listUnfinished']>,
  listed: Set<string>,
): Promise<number> {
  const { source, store, log, clock } = deps;
  const missing = unfinished.filter((f) => !listed.has(f.name));
  const records: FinishRecord[] = [];
  await mapPool(missing, opts.concurrency, async (f) => {
    const dir =
      f.outcome === 'quarantined'
        ? opts.errorDir
        : opts.afterIngest === 'move'
          ? opts.processedDir
          : undefined;
    const target = dir ? posix.join(dir, f.name) : undefined;
    if (target && (await source.exists(target))) {
      records.push({ fileId: f.id, finish: 'moved', path: target, error: null });
    } else if (!dir && opts.afterIngest === 'delete') {
      records.push({ fileId: f.id, finish: 'deleted', path: null, error: null });
    } else {
      records.push({
        fileId: f.id,
        finish: 'gone',
        path: null,
        error: 'the file left the folder before its move was recorded',
      });
      log.warn({ file: f.name }, 'a committed file left the folder before its move was recorded');
    }
  });
  store.recordFinishes(records, clock());
  return unfinished.length - missing.length;
}

/** Errors about one file (denied, vanished, shrank) rather than about the connection. */
function isFileLevelError(err: unknown): boolean {
  const status = (err as { status?: unknown }).status;
  if (status === 2 || status === 3) return true;
  return err instanceof SftpError && /shrank/.test(err.message);
}

async function prepareFile(
  deps: Deps,
  opts: IngestOptions,
  entry: RemoteEntry,
  /** Whether any committed file still waits in the folder (else no content lookup is needed). */
  mayBeLeftover: boolean,
): Promise<Work | undefined> {
  const { source, store, clock } = deps;
  const remotePath = posix.join(opts.remoteDir, entry.name);
  const known = store.findFileByIdentity(remotePath, entry.size, entry.mtimeMs);
  if (known) {
    if (known.finish === 'kept') return undefined;
    if (known.finish === 'pending' || known.finish === 'failed')
      return { kind: 'finish-only', entry, known };
  }
  const meta = (bytes: Uint8Array): FileMeta => ({
    name: entry.name,
    remotePath,
    size: entry.size,
    mtimeMs: entry.mtimeMs,
    contentHash: createHash('sha256').update(bytes).digest('hex'),
  });

  if (entry.size > opts.maxFileBytes) {
    const head = await source.readHead(remotePath, Math.min(QUARANTINE_HEAD_BYTES, entry.size));
    const file = meta(head);
    // The hash of the head alone would not identify the file; size and mtime join it.
    file.contentHash = `head:${file.contentHash}:${entry.size}`;
    const seen = mayBeLeftover ? store.findUnfinishedFile(remotePath, file.contentHash) : undefined;
    if (seen) return { kind: 'finish-only', entry, known: seen };
    return {
      kind: 'commit',
      entry,
      item: {
        kind: 'quarantine',
        file,
        reason: 'too-large',
        detail: `${entry.size} bytes is over sftp.maxFileBytes (${opts.maxFileBytes}); the first ${head.length} bytes are kept`,
        content: head,
        truncated: true,
      },
    };
  }

  const bytes = await source.read(remotePath, entry.size);
  const file = meta(bytes);
  const seen = mayBeLeftover ? store.findUnfinishedFile(remotePath, file.contentHash) : undefined;
  if (seen) return { kind: 'finish-only', entry, known: seen };

  const parsed = parseWebhookFile(bytes, opts.sourceTimeZone, clock(), opts.maxEventsPerFile);
  if (parsed.ok)
    return { kind: 'commit', entry, item: { kind: 'ingest', file, events: parsed.events } };
  const ageMs = clock() - entry.mtimeMs;
  if (parsed.retryable && ageMs < opts.parseGraceSeconds * 1000) {
    return { kind: 'wait', entry, detail: `${parsed.reason}: ${parsed.detail}` };
  }
  return {
    kind: 'commit',
    entry,
    item: {
      kind: 'quarantine',
      file,
      reason: parsed.reason,
      detail: parsed.detail,
      content: bytes,
      truncated: false,
    },
  };
}

async function finishAll(
  deps: Deps,
  opts: IngestOptions,
  files: { entry: RemoteEntry; fileId: number; quarantine: boolean }[],
  summary: IngestSummary,
): Promise<void> {
  const { source, store, log, clock } = deps;
  const records: FinishRecord[] = [];
  const record = (
    fileId: number,
    finish: FinishRecord['finish'],
    path: string | null,
    error: string | null,
  ) => records.push({ fileId, finish, path, error });
  await mapPool(files, opts.concurrency, async ({ entry, fileId, quarantine }) => {
    const from = posix.join(opts.remoteDir, entry.name);
    try {
      if (quarantine || opts.afterIngest === 'move') {
        const dir = quarantine ? opts.errorDir : opts.processedDir;
        const to = await renameUnique(source, from, dir, entry.name, entry.size);
        record(fileId, 'moved', to, null);
        if (!quarantine) summary.finished.moved++;
      } else if (opts.afterIngest === 'delete') {
        await source.remove(from);
        record(fileId, 'deleted', null, null);
        summary.finished.deleted++;
      } else {
        record(fileId, 'kept', from, null);
        summary.finished.kept++;
      }
    } catch (err) {
      const status = (err as { status?: unknown }).status;
      if (status === 2 && !(await source.exists(from).catch(() => true))) {
        // Someone else already took the file away; its events are safely stored.
        record(fileId, 'gone', null, 'the file disappeared before it could be finished');
        log.warn({ file: entry.name }, 'file vanished before it could be moved or deleted');
        return;
      }
      const error = describeError(err);
      record(fileId, 'failed', null, error);
      summary.finishErrors.push({ file: entry.name, error });
      log.warn(
        { file: entry.name, err: error },
        'could not finish file; it is retried on the next poll',
      );
    }
  });
  // One transaction for the batch: a commit per file would fsync once per file.
  store.recordFinishes(records, clock());
}

/**
 * Renames into `dir`, choosing `name~1.ext`, `name~2.ext`, ... when the name is taken. When
 * the taken name already holds the same bytes, the file is there already: a server that
 * renames by link + unlink and died between the two leaves both names, and so does a
 * byte-identical re-delivery. The leftover is removed instead of being kept twice.
 */
async function renameUnique(
  source: Source,
  from: string,
  dir: string,
  name: string,
  size: number,
): Promise<string> {
  const ext = posix.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; n < 1000; n++) {
    const to = posix.join(dir, n === 0 ? name : `${stem}~${n}${ext}`);
    try {
      await source.rename(from, to);
      return to;
    } catch (err) {
      if ((err as { status?: unknown }).status !== 'EEXIST') throw err;
      if (n === 0 && (await sameBytes(source, from, to, size))) {
        await source.remove(from);
        return to;
      }
    }
  }
  throw new SftpError('rename', `${from}: no free name in ${dir} after 1000 tries`);
}

async function sameBytes(source: Source, a: string, b: string, size: number): Promise<boolean> {
  // One byte more than the file has: a longer target differs.
  const [x, y] = await Promise.all([source.readHead(a, size + 1), source.readHead(b, size + 1)]);
  return x.equals(y);
}
