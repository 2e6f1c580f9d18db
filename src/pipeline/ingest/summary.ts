import type { EntryKind } from '../../core/select-files.js';
import { MESSAGE_TYPES } from '../../core/events.js';

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
  /** Files fetched per round, from the one listing of the poll (each round commits in one or more slices). */
  batchSize?: number;
  /** A slice is committed once it holds this many events (default 10,000). */
  sliceEvents?: number;
  /** File bytes held at once, fetched and not yet committed (default 8 MiB). */
  memoryBudgetBytes?: number;
};

export type IngestSummary = {
  listed: number;
  matched: number;
  young: number;
  /**
   * Set when a too-young file is dated more than a minute ahead of this machine's clock: by
   * how many seconds the latest is (the server's clock is ahead; its files wait that long).
   */
  youngAheadSeconds?: number;
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
  /**
   * Where the seconds went: checking the folders, listing (and choosing), the rounds of
   * fetching and committing (finishes overlap with them), and the finishes still running
   * after the last round.
   */
  phases: { checks: number; list: number; rounds: number; finishing: number };
};

/** A summary of a poll that has done nothing yet. */
export function emptySummary(): IngestSummary {
  return {
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
    phases: { checks: 0, list: 0, rounds: 0, finishing: 0 },
  };
}
