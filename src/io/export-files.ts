import fs from 'node:fs';
import path from 'node:path';
import type { ExportRecord } from '../pipeline/export-run.js';

/** A day file of a report under export.dir. */
export type ExportFile = { report: string; day: string; path: string };

/** Every `<dir>/<report>/<report>-YYYY-MM-DD.csv` of the given reports. */
export function listExportFiles(dir: string, reports: readonly string[]): ExportFile[] {
  const out: ExportFile[] = [];
  for (const report of reports) {
    const folder = path.join(dir, report);
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    const re = new RegExp(
      `^${report.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}-(\\d{4}-\\d{2}-\\d{2})\\.csv$`,
    );
    for (const name of names) {
      const m = re.exec(name);
      if (m?.[1]) out.push({ report, day: m[1], path: path.join(folder, name) });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

export function removeExportFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** The temp name `writeFileAtomic` gives a file while writing it: `.<name>.tmp-<16 hex>`. */
const TEMP_NAME = /^\..+\.tmp-[0-9a-f]{16}$/;

/** The temp file name for writing `target` atomically. */
export function tempNameFor(target: string, suffix: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${suffix}`);
}

/**
 * Removes what killed exports left under `dir`: temp files of `writeFileAtomic` that were
 * never renamed into place (a temp file holds a whole day of customer data). Only one
 * export writes into a folder at a time (the store's write lock), so any temp file found
 * before an export starts belongs to none that is running. Returns the paths removed.
 */
export async function removeExportLeftovers(dir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fs.promises.readdir(folder, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      const full = path.join(folder, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && TEMP_NAME.test(e.name)) {
        await fs.promises.rm(full, { force: true });
        removed.push(full);
      }
    }
  };
  await walk(dir);
  return removed;
}

/**
 * Forgets the recorded exports whose file is gone (retention deleted it and was killed
 * before it could forget it), so that the manifest written next names exactly the files on
 * disk. A record whose folder is gone too is kept: export.dir may be a share that is not
 * mounted right now, and its files are not lost. Returns the records forgotten.
 */
export function forgetMissingExports(store: {
  exportRecords(): ExportRecord[];
  removeExportRecord(report: string, day: string): void;
}): ExportRecord[] {
  const gone = store
    .exportRecords()
    .filter((r) => !fs.existsSync(r.path) && fs.existsSync(path.dirname(r.path)));
  for (const r of gone) store.removeExportRecord(r.report, r.day);
  return gone;
}
