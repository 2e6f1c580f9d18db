import { posix } from 'node:path';
import type { UnfinishedFile } from '../ports.js';
import { mapPool } from '../pool.js';
import {
  Finisher,
  stagingPath,
  type FinishDeps,
  type FinishOptions,
  type FinishTally,
} from './finish.js';

/**
 * Files committed but not recorded as finished: each is looked for where a half-done finish
 * may have left it. The names only this file's finish uses (the path a failed move back
 * recorded, the staging name of a delete or of a leftover's removal) are looked at for every
 * such file, even when a new upload has taken its name in the folder meanwhile: an unread
 * version there goes back into the folder, never stays behind. A file no longer in the
 * folder was moved or deleted just before a crash: it is looked for in processed/ or error/
 * too, checked to be the stored version, and recorded. One still in the folder (and found
 * nowhere else) is finished by this poll as usual. Returns how many unfinished files are
 * still in the folder.
 */
export async function reconcileUnfinished(
  deps: FinishDeps,
  opts: FinishOptions,
  unfinished: readonly UnfinishedFile[],
  listed: ReadonlySet<string>,
  tally: FinishTally,
): Promise<number> {
  const { source, log } = deps;
  const missing = unfinished.filter((f) => !listed.has(f.name));
  // What reconciling finishes was counted by the run that committed it.
  const scratch: FinishTally = {
    finished: { moved: 0, deleted: 0, kept: 0 },
    finishErrors: tally.finishErrors,
    changed: tally.changed,
  };
  const finisher = new Finisher(deps, opts, scratch);
  await mapPool(unfinished, opts.concurrency, async (f) => {
    const file = {
      name: f.name,
      fileId: f.id,
      quarantine: f.outcome === 'quarantined',
      stored: { size: f.size, mtimeMs: f.mtimeMs, contentHash: f.contentHash },
    };
    const inFolder = listed.has(f.name);
    const dir = finisher.targetDir(file);
    const places = new Set<string>();
    if (f.finishedPath) places.add(f.finishedPath);
    places.add(stagingPath(opts.remoteDir, f.id));
    if (!inFolder && dir !== undefined) places.add(posix.join(dir, f.name));
    for (const at of places) {
      const found = await source.stat(at);
      if (found) return finisher.settle(file, at, found);
    }
    if (inFolder) return;
    if (dir === undefined && opts.afterIngest === 'delete') {
      finisher.record(f.id, 'deleted', null, null);
      return;
    }
    finisher.record(f.id, 'gone', null, 'the file left the folder before its move was recorded');
    log.warn({ file: f.name }, 'a committed file left the folder before its move was recorded');
  });
  finisher.commit();
  return unfinished.length - missing.length;
}
