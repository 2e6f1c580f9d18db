import type { ExportFormat, ReportDefinition } from '../../reports/index.js';

/** A recorded day file, as the data package sees it: its path relative to export.dir. */
type DayFile = { report: string; day: string; format: ExportFormat; relative: string };

/**
 * `datapackage.json`: a Frictionless Data Package (Table Schema) describing every report's
 * CSV day files, so a loader that follows it reads ids, addresses, customerUIDs and codes as
 * text (`+44…`, `0044…`, `0042` and 20-digit ids kept exactly), timestamps as instants,
 * counts as integers and decimals as numbers. One resource per report that has files, its
 * `path` the day files oldest first (each has its own header row, as `dialect` says).
 * Depends only on the files recorded, so an export that changed nothing leaves it as it was.
 */
export function datapackageJson(
  reports: readonly ReportDefinition[],
  files: readonly DayFile[],
): string {
  const resources = [];
  for (const report of reports) {
    const paths = files
      .filter((f) => f.report === report.name && f.format === 'csv')
      .sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0))
      .map((f) => f.relative);
    // A resource needs at least one path; a report with no file yet is left out.
    if (!paths.length) continue;
    resources.push({
      name: report.name,
      path: paths,
      profile: 'tabular-data-resource',
      format: 'csv',
      mediatype: 'text/csv',
      encoding: 'utf-8',
      dialect: {
        delimiter: ',',
        lineTerminator: '\n',
        quoteChar: '"',
        doubleQuote: true,
        header: true,
      },
      schema: {
        fields: report.columns.map((c) => ({
          name: c.name,
          type: c.csvType ?? c.type,
          ...(c.description ? { description: c.description } : {}),
        })),
        // An empty cell is a missing value (no label, no delivery time, no status yet).
        missingValues: [''],
        ...(report.primaryKey ? { primaryKey: [...report.primaryKey] } : {}),
      },
    });
  }
  return `${JSON.stringify(
    { name: 'webio-reports', profile: 'tabular-data-package', resources },
    null,
    2,
  )}\n`;
}
