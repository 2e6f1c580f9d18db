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

/** A file already in the ledger of processed files. */
export type KnownFile = {
  id: number;
  outcome: 'ingested' | 'quarantined';
  finish: 'pending' | 'moved' | 'deleted' | 'kept' | 'failed' | 'gone';
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

/** The store as the ingest pipeline sees it; `io/sqlite-store.ts` is the real one. */
export interface IngestStore {
  findFileByIdentity(remotePath: string, size: number, mtimeMs: number): KnownFile | undefined;
  /**
   * A file committed at this path with these bytes but never moved or deleted: a crash came
   * between commit and finish. (A later delivery of the same bytes under another name, or
   * after the first was finished, is a new file whose events are duplicates.)
   */
  findUnfinishedFile(remotePath: string, contentHash: string): KnownFile | undefined;
  /** Files committed but not yet recorded as moved or deleted. */
  listUnfinished(): {
    id: number;
    name: string;
    remotePath: string;
    outcome: KnownFile['outcome'];
  }[];
  /** Commits every item in one transaction; results are in the items' order. */
  commitBatch(items: readonly BatchItem[], nowMs: number): FileCommit[];
  /** Records how files were finished, in one transaction. */
  recordFinishes(records: readonly FinishRecord[], nowMs: number): void;
}

/** The SFTP folder as the ingest pipeline sees it; `io/sftp-source.ts` is the real one. */
export interface Source {
  list(dir: string): Promise<RemoteEntry[]>;
  /** Lists chunk by chunk, keeping nothing (for folders of any size). */
  listEach(dir: string, visit: (entries: RemoteEntry[]) => void): Promise<void>;
  /** Reads a whole file of known size. */
  read(path: string, size: number): Promise<Buffer>;
  /** Reads at most `bytes` from the start of a file. */
  readHead(path: string, bytes: number): Promise<Buffer>;
  /** Renames without ever overwriting; fails with code 'EEXIST' when `to` is taken. */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  ensureDir(path: string): Promise<void>;
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
