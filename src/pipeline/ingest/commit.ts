import { StoreStageFailure } from '../../errors.js';
import type { Clock, IngestStore, Log } from '../ports.js';
import type { ToFinish } from './finish.js';
import type { Work } from './prepare.js';
import type { IngestSummary } from './summary.js';

/**
 * Commits one slice of prepared files in one transaction and counts what it did into the
 * summary; returns the files to finish on the server (committed now, or by an earlier run).
 * A store failure is a StoreStageFailure saying how many files were stored before it.
 */
export function commitSlice(
  deps: { store: IngestStore; log: Log; clock: Clock },
  work: readonly Work[],
  summary: IngestSummary,
): ToFinish[] {
  const { store, log, clock } = deps;
  const toCommit = work.filter((w): w is Extract<Work, { kind: 'commit' }> => w.kind === 'commit');
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
  return finishes;
}
