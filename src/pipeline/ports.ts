import type { ParsedEvent } from '../core/events.js';
import type { RemoteEntry } from '../core/select-files.js';

/** Where a file came from, and the bytes that identify it. */
export type FileMeta = {
  name: string;
  remotePath: string;
  size: number;
  mtimeMs: number;
  /** sha256 of the file's bytes, hex. */
  contentHash: string;
};

/** A file already in the ledger of processed files, and the version of it that was stored. */
export type KnownFile = {
  id: number;
  outcome: 'ingested' | 'quarantined';
  finish: 'pending' | 'moved' | 'deleted' | 'kept' | 'failed' | 'gone';
  size: number;
  mtimeMs: number;
  contentHash: string;
  /** When a kept file was last read again to compare its content (afterIngest keep). */
  checkedAt: number | null;
};

/** A committed file not yet recorded as finished, with where its finish got to. */
export type UnfinishedFile = Omit<KnownFile, 'finish' | 'checkedAt'> & {
  name: string;
  remotePath: string;
  /** Where a half-done finish left a version (recorded when moving it back failed). */
  finishedPath: string | null;
};

export type BatchItem =
  | { kind: 'ingest'; file: FileMeta; events: ParsedEvent[] }
  | {
      kind: 'quarantine';
      file: FileMeta;
      reason: string;
      detail: string;
      content: Uint8Array;
      truncated: boolean;
    };

/** How one committed file was finished on the server. */
export type FinishRecord = {
  fileId: number;
  finish: KnownFile['finish'];
  path: string | null;
  error: string | null;
};

/** What committing one file did to the store. */
export type FileCommit = {
  fileId: number;
  newByType: Record<string, number>;
  duplicates: number;
  conflicts: number;
  other: number;
};

/** The store as the ingest pipeline sees it; `io/store/index.ts` is the real one. */
export interface IngestStore {
  findFileByIdentity(remotePath: string, size: number, mtimeMs: number): KnownFile | undefined;
  /**
   * A file committed at this path with these bytes but never moved or deleted: a crash came
   * between commit and finish. (A later delivery of the same bytes under another name, or
   * after the first was finished, is a new file whose events are duplicates.)
   */
  findUnfinishedFile(remotePath: string, contentHash: string): KnownFile | undefined;
  /** Files committed but not yet recorded as moved or deleted. */
  listUnfinished(): UnfinishedFile[];
  /** Records that kept files were read again and still hold the stored bytes. */
  recordChecked(fileIds: readonly number[], nowMs: number): void;
  /** Commits every item in one transaction; results are in the items' order. */
  commitBatch(items: readonly BatchItem[], nowMs: number): FileCommit[];
  /** Records how files were finished, in one transaction. */
  recordFinishes(records: readonly FinishRecord[], nowMs: number): void;
}

/** A version of a file on the server, as a stat shows it. */
export type FileVersion = {
  size: number;
  /** Modification time, ms since the epoch (SFTP gives whole seconds). */
  mtimeMs: number;
};

/** What a read got: the bytes, and the version of the file they are (from its open handle). */
export type ReadFile = FileVersion & {
  bytes: Buffer;
  /** False when the file holds more than was read (over the limit, or a head). */
  complete: boolean;
};

/**
 * The SFTP folder as the ingest pipeline sees it; `io/sftp/source.ts` is the real one.
 * Failures are `SftpError`s whose `kind` says what went wrong (`not-found`, `denied`,
 * `exists`, `failure` about one file; `connection` for the session).
 */
export interface Source {
  list(dir: string): Promise<RemoteEntry[]>;
  /** Lists chunk by chunk, keeping nothing (for folders of any size). */
  listEach(dir: string, visit: (entries: RemoteEntry[]) => void): Promise<void>;
  /**
   * Reads a whole file to its end, whatever the listing said: a file that grew since is read
   * as it is now, and the version returned is the one read. More than `limit` bytes: the
   * first `limit` and `complete: false`. `expectedSize` only sizes the first request.
   */
  read(path: string, limit: number, expectedSize?: number): Promise<ReadFile>;
  /** Reads at most `bytes` from the start of a file, with the version of the whole file. */
  readHead(path: string, bytes: number): Promise<ReadFile>;
  /**
   * Renames without ever overwriting (kind `exists` when `to` is taken), and says what
   * landed at `to`: the version the pipeline finished, which may not be the one it read.
   */
  move(from: string, to: string): Promise<FileVersion | undefined>;
  /** The version at a path, or undefined when nothing is there. */
  stat(path: string): Promise<FileVersion | undefined>;
  remove(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Creates a folder when missing (resolving true when it did), never its parents. */
  ensureDir(path: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Structured logging, as pino provides it. */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The time, injectable for tests. */
export type Clock = () => number;
