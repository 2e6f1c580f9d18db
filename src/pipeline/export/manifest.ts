import path from 'node:path';
import { REPORTS } from '../../reports/index.js';
import { datapackageJson } from './datapackage.js';
import type { ExportOptions } from './options.js';
import type { ExportRecord, ExportStore, WriteFile } from './ports.js';

/**
 * Writes the export's index files from the recorded exports, each untouched when unchanged:
 * `<dir>/manifest.json` (every file with its checksum) and `<dir>/datapackage.json` (the
 * Table Schema of every report and its CSV day files).
 */
export async function writeManifest(
  store: Pick<ExportStore, 'exportRecords'>,
  writeFile: WriteFile,
  opts: Pick<ExportOptions, 'dir' | 'timeZone'>,
): Promise<void> {
  const records = filesInside(opts.dir, store.exportRecords());
  await writeFile(path.join(opts.dir, 'manifest.json'), [manifestJson(records, opts)], {
    compareWithTarget: true,
  });
  await writeFile(path.join(opts.dir, 'datapackage.json'), [datapackageJson(REPORTS, records)], {
    compareWithTarget: true,
  });
}

/**
 * The recorded files that lie inside `dir`, with their paths relative to it (POSIX
 * separators). Records of another folder (export.dir changed since) are left out: that
 * folder's files are not this folder's, and a manifest lists only what a loader of `dir` can
 * reach. They stay in the store, true for the folder they name.
 */
export function filesInside(
  dir: string,
  records: readonly ExportRecord[],
): (ExportRecord & { relative: string })[] {
  const root = path.resolve(dir);
  const out: (ExportRecord & { relative: string })[] = [];
  for (const r of records) {
    const rel = path.relative(root, path.resolve(r.path));
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
    out.push({ ...r, relative: rel.split(path.sep).join('/') });
  }
  return out;
}

/**
 * The manifest depends only on what was written: `generatedAt` is the newest file's export
 * time, so an export that changed nothing leaves the manifest's bytes as they were.
 */
function manifestJson(
  records: readonly (ExportRecord & { relative: string })[],
  opts: Pick<ExportOptions, 'timeZone'>,
): string {
  const newest = records.reduce((m, r) => Math.max(m, r.exportedAt), 0);
  return `${JSON.stringify(
    {
      generatedAt: records.length ? new Date(newest).toISOString() : null,
      timezone: opts.timeZone,
      files: records.map((r) => ({
        report: r.report,
        day: r.day,
        format: r.format,
        path: r.relative,
        rows: r.rows,
        bytes: r.bytes,
        sha256: r.sha256,
        exportedAt: new Date(r.exportedAt).toISOString(),
      })),
    },
    null,
    2,
  )}\n`;
}
