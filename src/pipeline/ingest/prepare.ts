import { posix } from 'node:path';
import { parseWebhookFile } from '../../core/parse-file.js';
import type { RemoteEntry } from '../../core/select-files.js';
import type {
  BatchItem,
  Clock,
  FileMeta,
  IngestStore,
  KnownFile,
  ReadFile,
  Source,
} from '../ports.js';
import { QUARANTINE_HEAD_BYTES, headHash, sha256 } from './landed.js';

/** What one listed file comes to before its slice is committed. */
export type Work =
  | { kind: 'commit'; entry: RemoteEntry; item: BatchItem }
  /** Committed by an earlier run and not finished: finished now, not read again. */
  | { kind: 'finish-only'; entry: RemoteEntry; known: KnownFile }
  /** Unreadable but young, or changed since the listing: read again by the next poll. */
  | { kind: 'wait'; entry: RemoteEntry; detail: string }
  /** A kept file read again: it still holds the stored bytes. */
  | { kind: 'unchanged'; entry: RemoteEntry; known: KnownFile };

export type PrepareOptions = {
  remoteDir: string;
  afterIngest: 'move' | 'delete' | 'keep';
  minFileAgeSeconds: number;
  maxFileBytes: number;
  maxEventsPerFile?: number;
  parseGraceSeconds: number;
  sourceTimeZone: string;
};

export type PrepareDeps = { source: Source; store: IngestStore; clock: Clock };

/**
 * Reads and parses one listed file. The version committed is the one read (its size and
 * time from the open handle, its bytes to the end of the file), never the listing's: what
 * is finished later is checked against it.
 */
export async function prepareFile(
  deps: PrepareDeps,
  opts: PrepareOptions,
  entry: RemoteEntry,
  /** Whether any committed file still waits in the folder (else no content lookup is needed). */
  mayBeLeftover: boolean,
  /** A kept file read again to compare: its record. */
  recheck?: KnownFile,
): Promise<Work | undefined> {
  const { source, store, clock } = deps;
  const remotePath = posix.join(opts.remoteDir, entry.name);
  if (!recheck) {
    const known = store.findFileByIdentity(remotePath, entry.size, entry.mtimeMs);
    // Kept by an earlier run under afterIngest keep, and now to be moved or deleted: finished
    // as configured now, without a read.
    if (known && ['pending', 'failed', 'kept'].includes(known.finish))
      return { kind: 'finish-only', entry, known };
  }
  const meta = (read: ReadFile, contentHash: string): FileMeta => ({
    name: entry.name,
    remotePath,
    size: read.size,
    mtimeMs: read.mtimeMs,
    contentHash,
  });
  const leftover = (hash: string): KnownFile | undefined =>
    mayBeLeftover ? store.findUnfinishedFile(remotePath, hash) : undefined;

  let read: ReadFile =
    entry.size > opts.maxFileBytes
      ? await source.readHead(remotePath, Math.min(QUARANTINE_HEAD_BYTES, entry.size))
      : await source.read(remotePath, opts.maxFileBytes, entry.size);
  // Listed oversized, smaller now: read it whole after all.
  if (!read.complete && read.size <= opts.maxFileBytes)
    read = await source.read(remotePath, opts.maxFileBytes, read.size);
  // Written to since the listing: it may be half-way through an upload. The next poll takes
  // it once it has been left alone for minFileAgeSeconds.
  const ageMs = clock() - read.mtimeMs;
  if (ageMs < opts.minFileAgeSeconds * 1000)
    return {
      kind: 'wait',
      entry,
      detail: `changed since the listing (${read.size} bytes now); read again once it is ${opts.minFileAgeSeconds} s old`,
    };
  if (read.size > opts.maxFileBytes) {
    // Oversized, as listed or grown since: only its head is kept.
    if (read.bytes.length > QUARANTINE_HEAD_BYTES)
      read = { ...read, bytes: read.bytes.subarray(0, QUARANTINE_HEAD_BYTES) };
    const file = meta(read, headHash(read.bytes, read.size));
    if (recheck && file.contentHash === recheck.contentHash)
      return { kind: 'unchanged', entry, known: recheck };
    const seen = leftover(file.contentHash);
    if (seen) return { kind: 'finish-only', entry, known: seen };
    return {
      kind: 'commit',
      entry,
      item: {
        kind: 'quarantine',
        file,
        reason: 'too-large',
        detail: `${read.size} bytes is over sftp.maxFileBytes (${opts.maxFileBytes}); the first ${read.bytes.length} bytes are kept`,
        content: read.bytes,
        truncated: true,
      },
    };
  }

  const bytes = read.bytes;
  const file = meta(read, sha256(bytes));
  if (recheck && file.contentHash === recheck.contentHash)
    return { kind: 'unchanged', entry, known: recheck };
  const seen = leftover(file.contentHash);
  if (seen) return { kind: 'finish-only', entry, known: seen };

  const parsed = parseWebhookFile(bytes, opts.sourceTimeZone, clock(), opts.maxEventsPerFile);
  if (parsed.ok)
    return { kind: 'commit', entry, item: { kind: 'ingest', file, events: parsed.events } };
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
