import fs from 'node:fs';
import path from 'node:path';
import type { ExportRecord } from '../../pipeline/export/ports.js';
import { reportFileName, type ExportFormat } from '../../reports/index.js';

/** A day file of a report under export.dir. */
export type ExportFile = { report: string; day: string; format: ExportFormat; path: string };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function namesIn(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

/**
 * Every day file of the given reports under `dir`: `<report>/<report>-YYYY-MM-DD.csv` and
 * `parquet/<report>/dt=YYYY-MM-DD/<report>-YYYY-MM-DD.parquet`. Other names are left alone.
 */
export function listExportFiles(dir: string, reports: readonly string[]): ExportFile[] {
  const out: ExportFile[] = [];
  for (const report of reports) {
    const prefix = `${report}-`;
    const dayOf = (name: string, ext: string): string | undefined => {
      const day = name.slice(prefix.length, -ext.length);
      return name.startsWith(prefix) && name.endsWith(ext) && DAY.test(day) ? day : undefined;
    };
    const folder = path.join(dir, report);
    for (const name of namesIn(folder)) {
      const day = dayOf(name, '.csv');
      if (day) out.push({ report, day, format: 'csv', path: path.join(folder, name) });
    }
    const parquet = path.join(dir, 'parquet', report);
    for (const partition of namesIn(parquet)) {
      const day = partition.slice('dt='.length);
      if (!partition.startsWith('dt=') || !DAY.test(day)) continue;
      const name = `${report}-${day}.parquet`;
      if (namesIn(path.join(parquet, partition)).includes(name))
        out.push({ report, day, format: 'parquet', path: path.join(parquet, partition, name) });
    }
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/** Removes a day file, and the Parquet day's `dt=` folder once it is empty. */
export function removeExportFile(file: string): void {
  fs.rmSync(file, { force: true });
  const folder = path.dirname(file);
  if (!path.basename(folder).startsWith('dt=')) return;
  try {
    fs.rmdirSync(folder);
  } catch {
    // Not empty (something else lives there) or already gone: leave it.
  }
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
 * before it could forget it, or someone deleted it or the whole `parquet/` folder), so that
 * the manifest written next names exactly the files on disk. A record is kept while its
 * report's CSV folder is gone too: export.dir may be a share that is not mounted right now,
 * and its files are not lost. Returns the records forgotten.
 */
export function forgetMissingExports(store: {
  exportRecords(): ExportRecord[];
  removeExportRecord(report: string, day: string, format: ExportRecord['format']): void;
}): ExportRecord[] {
  const csvFolder = (r: ExportRecord) => {
    const name = path.normalize(reportFileName(r.report, r.day, r.format));
    const root = r.path.endsWith(name) ? r.path.slice(0, -name.length) : undefined;
    return root === undefined ? path.dirname(r.path) : path.join(root, r.report);
  };
  const gone = store
    .exportRecords()
    .filter((r) => !fs.existsSync(r.path) && fs.existsSync(csvFolder(r)));
  for (const r of gone) store.removeExportRecord(r.report, r.day, r.format);
  return gone;
}
