import path from 'node:path';
import { printable } from '../core/printable.js';
import type { ExportSummary } from '../pipeline/export-run.js';
import type { IngestSummary } from '../pipeline/ingest-run.js';
import type { PurgeSummary } from '../pipeline/purge-run.js';

/** The human summary `ingest` prints. */
export function formatIngestSummary(s: IngestSummary): string {
  const lines = [
    `ingest: ${s.listed} files listed, ${s.fetched} files fetched in ${s.seconds.toFixed(2)} s` +
      (s.young ? `, ${s.young} too young (next poll)` : '') +
      (s.deferred ? `, ${s.deferred} deferred (maxFilesPerPoll)` : '') +
      (s.alreadyProcessed ? `, ${s.alreadyProcessed} already ingested (finished now)` : ''),
    `  new events: ${Object.entries(s.newEvents)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
    `  duplicates ${s.duplicates}, conflicts ${s.conflicts}, other-type events ${s.otherEvents}`,
    `  files finished: moved ${s.finished.moved}, deleted ${s.finished.deleted}, kept ${s.finished.kept}`,
  ];
  if (s.quarantined.length) {
    lines.push(`  quarantined ${s.quarantined.length}:`);
    for (const q of s.quarantined) lines.push(`    ${q.file}: ${q.reason}: ${q.detail}`);
  } else lines.push('  quarantined 0');
  if (s.waiting.length) {
    lines.push(`  waiting ${s.waiting.length} (unreadable but young; retried on the next poll):`);
    for (const w of s.waiting) lines.push(`    ${w.file}: ${w.detail}`);
  }
  for (const e of s.fetchErrors) lines.push(`  could not fetch ${e.file}: ${e.error}`);
  for (const e of s.finishErrors)
    lines.push(`  could not move/delete ${e.file}: ${e.error} (retried on the next poll)`);
  const skipped = formatSkipped(s.skipped);
  if (skipped)
    lines.push(`  skipped: ${skipped} (not regular files: never followed, read, moved or deleted)`);
  if (s.stoppedEarly) lines.push(`  stopped early: ${s.stoppedEarly}`);
  return lines.map(printable).join('\n');
}

const KIND_NAMES: Record<string, [string, string]> = {
  symlink: ['symlink', 'symlinks'],
  fifo: ['fifo', 'fifos'],
  directory: ['folder', 'folders'],
  socket: ['socket', 'sockets'],
  device: ['device', 'devices'],
  other: ['other entry', 'other entries'],
};

/** "2 symlinks, 1 fifo", or "" when nothing was skipped. */
export function formatSkipped(skipped: Partial<Record<string, number>> | undefined): string {
  const order = Object.keys(KIND_NAMES);
  return Object.entries(skipped ?? {})
    .filter(([, n]) => (n ?? 0) > 0)
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([kind, n]) => {
      const [one, many] = KIND_NAMES[kind] ?? [kind, kind];
      return `${n} ${n === 1 ? one : many}`;
    })
    .join(', ');
}

/** The human summary `export` prints: one line per day with each report's rows. */
export function formatExportSummary(s: ExportSummary): string {
  const unchanged = s.files.filter((f) => f.unchanged).length;
  const lines = [
    `export: ${s.days.length} day(s), ${s.files.length - unchanged} file(s) written` +
      (unchanged ? `, ${unchanged} unchanged` : '') +
      ` in ${s.seconds.toFixed(2)} s`,
  ];
  const byDay = new Map<string, string[]>();
  // One entry per report: its Parquet file (same rows) is named below.
  for (const f of s.files.filter((x) => x.format === 'csv')) {
    const parts = byDay.get(f.day) ?? [];
    parts.push(`${f.report} ${f.rows}${f.unchanged ? ' (unchanged)' : ''}`);
    byDay.set(f.day, parts);
  }
  for (const [day, parts] of byDay) lines.push(`  ${day}  rows: ${parts.join(', ')}`);
  for (const f of s.failures) lines.push(`  FAILED ${f.path}: ${f.error}`);
  if (s.skipped.length)
    lines.push(
      `  left as written (older than retention.storeDays keeps in the store): ${s.skipped.join(', ')}`,
    );
  const dirs = [
    ...new Set(
      s.files.filter((f) => f.format === 'csv').map((f) => path.dirname(path.dirname(f.path))),
    ),
  ];
  if (dirs.length) lines.push(`  into ${dirs.join(', ')}/<report>/<report>-<day>.csv`);
  if (s.files.some((f) => f.format === 'parquet'))
    lines.push(`  and ${dirs.join(', ')}/parquet/<report>/dt=<day>/<report>-<day>.parquet`);
  lines.push(`  manifest: ${s.manifest}`);
  return lines.map(printable).join('\n');
}

/** The human summary `purge` prints. */
export function formatPurgeSummary(s: PurgeSummary): string {
  const verb = s.dryRun ? 'would remove' : 'removed';
  const lines = [`purge${s.dryRun ? ' (dry run: nothing removed)' : ''}:`];
  const list = (label: string, items: string[]) => {
    lines.push(`  ${label}: ${verb} ${items.length} file(s)`);
    for (const i of items.slice(0, 20)) lines.push(`    ${i}`);
    if (items.length > 20) lines.push(`    … and ${items.length - 20} more`);
  };
  list('server processedDir', s.server.processed);
  list('server errorDir', s.server.error);
  list('export files', s.exports);
  if (s.store)
    lines.push(
      `  store: events before ${s.store.before}: ${verb} ${s.store.sends} sends, ${s.store.inbound} inbound, ${s.store.statuses} statuses, ${s.store.rawEvents} ledger events, ${s.store.quarantined} quarantined files` +
        (s.dryRun ? '' : `, ${s.store.files} file records`),
    );
  else lines.push('  store: kept whole (retention.storeDays is not set)');
  for (const f of s.failures) lines.push(`  FAILED ${f}`);
  return lines.map(printable).join('\n');
}
