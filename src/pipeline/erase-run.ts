import path from 'node:path';
import { describeError } from '../errors.js';
import type { Clock, Log } from './ports.js';

/** What an erasure removed (or would), and the days whose files held the address. */
export type ErasureResult = {
  counts: {
    sends: number;
    inbound: number;
    statuses: number;
    rawEvents: number;
    quarantined: number;
  };
  days: string[];
};

/** What is left to do of the erasures not finished yet (all of them together). */
export type PendingErasure = {
  /** How many erasures are not finished. */
  erasures: number;
  /** CSV days whose files may still hold an erased address. */
  days: string[];
  /** The store is still to be rebuilt (VACUUM). */
  vacuum: boolean;
  /** The WAL is still to be checkpointed and truncated. */
  checkpoint: boolean;
};

/** How the rebuild and checkpoint went. */
export type Compaction =
  | { ok: true; vacuumed: boolean }
  | { ok: false; step: 'vacuum'; error: unknown }
  /** Rebuilt and emptied, but the journal could not say so (it tries again next time). */
  | { ok: false; step: 'record'; error: unknown }
  | { ok: false; step: 'checkpoint'; busy: boolean; walBytes: number; framesLeft: number };

/** Rows of the store that still mention an address, by table and column. */
export type StoreMentions = {
  total: number;
  columns: { table: string; column: string; rows: number }[];
  /** The export days of the typed rows and other events among them. */
  days: string[];
};

/** The store as finishing an erasure sees it (io/store/erasure.ts through SqliteStore). */
export interface ErasureStore {
  pendingErasure(): PendingErasure | undefined;
  forgetErasureDays(days: readonly string[], nowMs: number): void;
  compactAfterErasure(nowMs: number): Compaction;
  mentionsOf(key: string): StoreMentions;
}

/** A file in which the byte check found the address. */
export type FoundIn = { file: string; encodings: string[] };

/** What writing erased days again did. */
export type Rewrite = {
  /** Days whose every file was written from the store as it is now. */
  written: string[];
  /** Days before the store's retention horizon: their files cannot be written again. */
  notRewritten: string[];
  /** Files whose bytes changed. */
  files: number;
  failures: { path: string; error: string }[];
};

export type EraseDeps = {
  store: ErasureStore;
  /** Removes what killed exports left under export.dir; returns what it removed. */
  removeLeftovers(): Promise<string[]>;
  /** Writes the CSV (and other) files of these days again from the store. */
  rewrite(days: readonly string[]): Promise<Rewrite>;
  /** Reads every byte of these files for the address. */
  scan(
    files: readonly string[],
    key: string,
  ): Promise<{ files: number; bytes: number; found: FoundIn[] }>;
  /** The database file, its -wal, -shm and lock file. */
  storeFiles: { db: string; all: readonly string[] };
  /** Every file under export.dir now. */
  exportFiles(): Promise<string[]>;
  clock: Clock;
  log: Log;
};

/** The byte check after an erasure. */
export type ErasureCheck =
  | { done: false; reason: string }
  | {
      done: true;
      files: number;
      bytes: number;
      /** Files that hold the address although no row of the store explains it. */
      left: FoundIn[];
      /** Files that hold it because rows the erasure does not cover still mention it. */
      explained: FoundIn[];
      otherMentions: StoreMentions | undefined;
    };

/** What finishing an erasure did, and what is still wrong (each problem says what to do). */
export type ErasureFinish = {
  /** Erasures that were pending, this one included. */
  erasures: number;
  leftovers: number;
  daysRewritten: string[];
  daysNotRewritten: string[];
  filesRewritten: number;
  exportFailures: { path: string; error: string }[];
  /** The store was rebuilt and its WAL checkpointed and emptied. */
  compacted: boolean;
  /** This run rebuilt the store (VACUUM); an earlier one may have done it. */
  vacuumed: boolean;
  check: ErasureCheck;
  problems: string[];
  warnings: string[];
};

/** An address shorter than this cannot be told apart from other bytes of a file. */
export const MIN_CHECKED_LENGTH = 6;

const AGAIN = 'run `webio-reports erase` again (no --address needed: it finishes what is pending)';

/**
 * Finishes every pending erasure: removes a killed export's temp files, writes the erased
 * days' files again, rebuilds the store and empties its WAL, each step checked and
 * journalled. With the address (`key`), then reads every byte of the store's files and of
 * every file under export.dir for it: a copy that no row of the store explains is a
 * problem, named with its file. Never throws for what it can report.
 */
export async function finishErasure(
  deps: EraseDeps,
  key: string | undefined,
): Promise<ErasureFinish> {
  const { store, log } = deps;
  const pending = store.pendingErasure();
  const out: ErasureFinish = {
    erasures: pending?.erasures ?? 0,
    leftovers: 0,
    daysRewritten: [],
    daysNotRewritten: [],
    filesRewritten: 0,
    exportFailures: [],
    compacted: pending === undefined,
    vacuumed: false,
    check: { done: false, reason: 'no address given' },
    problems: [],
    warnings: [],
  };
  // A killed export's temp file holds whole days, erased customer included.
  out.leftovers = (await deps.removeLeftovers()).length;

  if (pending && pending.days.length > 0) {
    const r = await deps.rewrite(pending.days);
    out.daysRewritten = r.written;
    out.daysNotRewritten = r.notRewritten;
    out.filesRewritten = r.files;
    out.exportFailures = r.failures;
    // Days before the horizon can never be written: the byte check names their files.
    store.forgetErasureDays([...r.written, ...r.notRewritten], deps.clock());
    if (r.failures.length) {
      const first = r.failures[0];
      out.problems.push(
        `${r.failures.length} file(s) of the erased days could not be written again (first: ${first?.path}: ${first?.error}), so they may still hold the address; fix that and ${AGAIN}`,
      );
    }
  }

  if (pending) {
    const c = store.compactAfterErasure(deps.clock());
    out.compacted = c.ok || c.step === 'record';
    out.vacuumed = c.ok && c.vacuumed;
    const db = deps.storeFiles.db;
    if (!c.ok && c.step === 'vacuum') {
      const code = (c.error as { code?: unknown }).code;
      const fix =
        code === 'SQLITE_FULL'
          ? 'free disk space (the rebuild writes about the size of the store into its WAL, and as much into the temp folder)'
          : 'fix the cause';
      out.problems.push(
        `the store could not be rebuilt (VACUUM: ${describeError(c.error)}), so the address may still be in ${db} and ${db}-wal; ${fix} and ${AGAIN}`,
      );
    } else if (!c.ok && c.step === 'record') {
      out.problems.push(
        `the store was rebuilt and its WAL emptied, but the erasure could not be recorded as finished (${describeError(c.error)}); ${AGAIN}`,
      );
    } else if (!c.ok) {
      out.problems.push(
        c.busy
          ? `another process holds a read transaction on ${db} (a \`status\` or \`backup\` running, a BI tool or sqlite3 reading it), so its WAL could not be emptied: the address is still in ${db}-wal (${c.walBytes} bytes) and may be in ${db}; stop that reader and ${AGAIN}`
          : `the WAL ${db}-wal still holds ${c.walBytes} bytes (${c.framesLeft} frames) after a truncating checkpoint, so the address may still be in it; ${AGAIN}`,
      );
    }
  }

  if (key !== undefined) out.check = await checkBytes(deps, key, out);
  log.info(
    {
      erasures: out.erasures,
      leftovers: out.leftovers,
      days: out.daysRewritten.length,
      files: out.filesRewritten,
      compacted: out.compacted,
      checked: out.check.done,
      problems: out.problems.length,
    },
    out.problems.length ? 'erasure not finished' : 'erasure finished',
  );
  return out;
}

async function checkBytes(deps: EraseDeps, key: string, out: ErasureFinish): Promise<ErasureCheck> {
  if (key.length < MIN_CHECKED_LENGTH)
    return {
      done: false,
      reason: `an address of fewer than ${MIN_CHECKED_LENGTH} characters cannot be told apart from other bytes`,
    };
  const exportFiles = await deps.exportFiles();
  const files = [...deps.storeFiles.all, ...exportFiles];
  const scan = await deps.scan(files, key);
  const check: ErasureCheck & { done: true } = {
    done: true,
    files: scan.files,
    bytes: scan.bytes,
    left: [],
    explained: [],
    otherMentions: undefined,
  };
  if (scan.found.length === 0) return check;
  // The address is somewhere: is it in rows erasure leaves by design, or a copy left behind?
  const mentions = deps.store.mentionsOf(key);
  check.otherMentions = mentions.total > 0 ? mentions : undefined;
  const days = new Set(mentions.days);
  for (const f of scan.found) {
    const day = /(\d{4}-\d{2}-\d{2})/.exec(path.basename(f.file))?.[1];
    const explained =
      f.file === deps.storeFiles.db
        ? mentions.total > 0 && out.compacted
        : exportFiles.includes(f.file) && day !== undefined && days.has(day);
    (explained ? check.explained : check.left).push(f);
  }
  for (const f of check.left) {
    // A store that could not be compacted holds the address: that problem is said already.
    if (!out.compacted && !exportFiles.includes(f.file)) continue;
    const where = exportFiles.includes(f.file)
      ? 'no row of the store puts it there (a day before retention.storeDays, or a file that is not an export of this store): remove the address from that file or delete it'
      : `the store still holds a copy; ${AGAIN}`;
    out.problems.push(
      `the address is still in ${f.file} (${f.encodings.join(', ')}): ${where}; then run \`webio-reports erase --address …\` again to check`,
    );
  }
  if (check.otherMentions) {
    const cols = mentions.columns.map((c) => `${c.table}.${c.column}: ${c.rows}`).join(', ');
    out.warnings.push(
      `${mentions.total} row(s) that erasure does not cover still mention the number (another customer's message that quotes it, say): ${cols}${check.explained.length ? `; they are in ${check.explained.length} file(s), e.g. ${check.explained[0]?.file}` : ''}`,
    );
  }
  return check;
}
