import { posix } from 'node:path';
import { SftpError, describeError, sftpFailureOf } from '../../errors.js';
import type { Clock, FileVersion, FinishRecord, IngestStore, Log, Source } from '../ports.js';
import { mapPool } from '../pool.js';
import { compareWithStored, sha256, type Difference, type StoredVersion } from './landed.js';

/** A committed file to finish on the server: move, delete, or record as kept. */
export type ToFinish = {
  name: string;
  fileId: number;
  quarantine: boolean;
  /** The version whose events the store holds. */
  stored: StoredVersion;
};

export type FinishOptions = {
  remoteDir: string;
  processedDir: string;
  errorDir: string;
  afterIngest: 'move' | 'delete' | 'keep';
  concurrency: number;
};

/** What finishing tells the run's summary. */
export type FinishTally = {
  finished: { moved: number; deleted: number; kept: number };
  finishErrors: { file: string; error: string }[];
  /** Files found changed on the server when they were finished, and what became of them. */
  changed: { file: string; change: string; detail: string }[];
};

export type FinishDeps = { source: Source; store: IngestStore; log: Log; clock: Clock };

/**
 * Where a file to delete is first renamed, so that the version deleted is the one checked:
 * a dot name in the watched folder, which no poll takes, unique to the file's record.
 */
export function stagingPath(remoteDir: string, fileId: number): string {
  return posix.join(remoteDir, `.webio-reports-${fileId}.deleting`);
}

/**
 * Finishes committed files: only a version the store holds is ever moved or deleted. A
 * move is checked by what landed in processed/ (or error/); a delete renames the file to a
 * staging name first and checks what it holds before removing it. A version that is not the
 * stored one (the file was replaced, appended to or rewritten after it was read) goes back
 * into the watched folder under its name (or `name~N`), for the next poll to read.
 * One transaction records the batch's finishes.
 */
export async function finishFiles(
  deps: FinishDeps,
  opts: FinishOptions,
  files: readonly ToFinish[],
  tally: FinishTally,
): Promise<void> {
  const finisher = new Finisher(deps, opts, tally);
  await mapPool(files, opts.concurrency, (f) => finisher.finish(f));
  finisher.commit();
}

/** Finishes files one by one, collecting their records for one transaction. */
export class Finisher {
  private readonly records: FinishRecord[] = [];
  private connectionLost = false;

  constructor(
    private readonly deps: FinishDeps,
    private readonly opts: FinishOptions,
    private readonly tally: FinishTally,
  ) {}

  record(
    fileId: number,
    finish: FinishRecord['finish'],
    path: string | null,
    error: string | null,
  ): void {
    this.records.push({ fileId, finish, path, error });
  }

  /** Records every finish collected so far, in one transaction. */
  commit(): void {
    this.deps.store.recordFinishes(this.records.splice(0), this.deps.clock());
  }

  /** Moves, deletes or keeps one committed file; failures are recorded, never thrown. */
  async finish(f: ToFinish): Promise<void> {
    const { source, log } = this.deps;
    const opts = this.opts;
    const from = posix.join(opts.remoteDir, f.name);
    const dir = this.targetDir(f);
    try {
      if (dir !== undefined) {
        const moved = await renameUnique(source, from, dir, f.name, f.stored);
        // Its twin is there already: the one in the folder goes, through its staging name,
        // so that a new upload that takes the name meanwhile is never the one removed.
        if (moved.leftover) await this.deleteChecked(f, from, moved.to);
        else await this.settle(f, moved.to, moved.landed);
      } else if (opts.afterIngest === 'delete') {
        await this.deleteChecked(f, from);
      } else {
        this.record(f.fileId, 'kept', from, null);
        this.tally.finished.kept++;
      }
    } catch (err) {
      // Whatever status the server chose (ProFTPD does not say "no such file" for a rename
      // of a vanished file), a file that is gone was taken by someone else.
      if (sftpFailureOf(err) !== 'connection' && !(await source.exists(from).catch(() => true))) {
        // Someone else already took the file away; its events are safely stored.
        this.record(f.fileId, 'gone', null, 'the file disappeared before it could be finished');
        log.warn({ file: f.name }, 'file vanished before it could be moved or deleted');
        return;
      }
      const where = dir === undefined ? `delete ${from}` : `move ${from} into ${dir}`;
      const error = `could not ${where}: ${describeError(err)}`;
      this.record(f.fileId, 'failed', null, error);
      this.tally.finishErrors.push({ file: f.name, error });
      // A lost connection fails every finish in flight: said once, not once per file.
      if (sftpFailureOf(err) === 'connection') {
        if (this.connectionLost) return;
        this.connectionLost = true;
      }
      log.warn(
        { file: f.name, err: error },
        'could not finish file; it is retried on the next poll',
      );
    }
  }

  /** Where a committed file is moved: error/ for a quarantined one, processed/ with move. */
  targetDir(f: Pick<ToFinish, 'quarantine'>): string | undefined {
    if (f.quarantine) return this.opts.errorDir;
    return this.opts.afterIngest === 'move' ? this.opts.processedDir : undefined;
  }

  /**
   * Settles a file found at `at` after a rename (or after a crash): the stored version is
   * recorded as moved there, or, at its staging name, removed and recorded as deleted (or as
   * moved to its `twin`); another version goes back.
   */
  async settle(
    f: ToFinish,
    at: string,
    found: FileVersion | undefined,
    twin?: string,
  ): Promise<void> {
    const change = await compareWithStored(this.deps.source, at, found, f.stored);
    if (change !== 'same') return this.returnChanged(f, at, change);
    if (at !== stagingPath(this.opts.remoteDir, f.fileId)) return this.recordFinished(f, at);
    await this.deps.source.remove(at);
    this.recordFinished(f, twin);
  }

  /**
   * Deletes only the stored version: renamed to a staging name first (one no writer uses),
   * checked there, then removed. A server that refuses the rename but allows the delete gets
   * a stat before the delete instead (a window of one round trip). With `twin`, the stored
   * version is kept there already (a re-delivery, or a server that renamed by link and unlink
   * and died between the two): the file is recorded as moved there.
   */
  private async deleteChecked(f: ToFinish, from: string, twin?: string): Promise<void> {
    const { source } = this.deps;
    const staged = stagingPath(this.opts.remoteDir, f.fileId);
    let landed: FileVersion | undefined;
    try {
      landed = await source.move(from, staged);
    } catch (err) {
      if (sftpFailureOf(err) !== 'denied') throw err;
      const change = await compareWithStored(source, from, undefined, f.stored);
      if (change !== 'same') return this.returnChanged(f, from, change);
      await source.remove(from);
      return this.recordFinished(f, twin);
    }
    await this.settle(f, staged, landed, twin);
  }

  /** Records a stored version that left the folder: moved to `movedTo`, or deleted. */
  private recordFinished(f: ToFinish, movedTo: string | undefined): void {
    if (movedTo === undefined) {
      this.record(f.fileId, 'deleted', null, null);
      this.tally.finished.deleted++;
      return;
    }
    this.record(f.fileId, 'moved', movedTo, null);
    if (!f.quarantine) this.tally.finished.moved++;
  }

  /**
   * A version nobody read is at `at`: it goes back into the watched folder (where it is left
   * if it is there already) for the next poll, and the stored version is recorded as gone
   * from the server.
   */
  async returnChanged(f: ToFinish, at: string, change: Difference): Promise<void> {
    const { source, log } = this.deps;
    const remoteDir = this.opts.remoteDir;
    let back = at;
    try {
      if (at !== posix.join(remoteDir, f.name))
        back = (await renameUnique(source, at, remoteDir, f.name)).to;
    } catch (err) {
      const error = `${at} holds a version of the file that was not read (it ${describeChange(change)} after it was read), and moving it back into ${remoteDir} failed: ${describeError(err)}; it is tried again on the next poll`;
      this.record(f.fileId, 'failed', at, error);
      this.tally.finishErrors.push({ file: f.name, error });
      log.error(
        { file: f.name, err: describeError(err) },
        'an unread version could not be moved back',
      );
      return;
    }
    const detail = `it ${describeChange(change)} after it was read; that version ${back === at ? 'stays in the folder' : `went back into the folder as ${posix.basename(back)}`} and is read by the next poll`;
    this.record(f.fileId, 'gone', null, `changed on the server before it was finished: ${detail}`);
    this.tally.changed.push({ file: f.name, change, detail });
    log.warn({ file: f.name, change }, 'file changed on the server before it was finished');
  }
}

/** "grew", "shrank", "was rewritten": how a file changed, for messages. */
export function describeChange(change: Difference): string {
  return change === 'rewritten' ? 'was rewritten' : change;
}

/**
 * Renames into `dir`, choosing `name~1.ext`, `name~2.ext`, ... when the name is taken. When
 * `stored` is given and the taken name already holds exactly the stored bytes, the file is
 * there already (a server that renames by link + unlink and died between the two leaves both
 * names, and so does a byte-identical re-delivery): nothing is renamed, and `leftover` says
 * that the file at `from` is a twin of `to`, for the caller to remove. Resolves with the
 * name used and what landed there.
 */
export async function renameUnique(
  source: Source,
  from: string,
  dir: string,
  name: string,
  stored?: StoredVersion,
): Promise<{ to: string; landed: FileVersion | undefined; leftover?: true }> {
  const ext = posix.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 0; n < 1000; n++) {
    const to = posix.join(dir, n === 0 ? name : `${stem}~${n}${ext}`);
    try {
      return { to, landed: await source.move(from, to) };
    } catch (err) {
      if (sftpFailureOf(err) !== 'exists') throw err;
      if (n === 0 && stored && (await isLeftover(source, from, to, stored)))
        return { to, landed: undefined, leftover: true };
    }
  }
  throw new SftpError('rename', `${from}: no free name in ${dir} after 1000 tries`, {
    kind: 'exists',
  });
}

/** True when `from` holds exactly the stored bytes and `to` holds the same. */
async function isLeftover(
  source: Source,
  from: string,
  to: string,
  stored: StoredVersion,
): Promise<boolean> {
  // An oversized file is known by its head only: never taken for a leftover.
  if (stored.contentHash.startsWith('head:')) return false;
  // One byte more than the file has: a longer file differs.
  const [a, b] = await Promise.all([
    source.readHead(from, stored.size + 1),
    source.readHead(to, stored.size + 1),
  ]);
  return sha256(a.bytes) === stored.contentHash && a.bytes.equals(b.bytes);
}
