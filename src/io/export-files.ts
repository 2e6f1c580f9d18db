import fs from 'node:fs';
import path from 'node:path';

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
