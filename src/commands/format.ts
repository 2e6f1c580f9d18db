import path from 'node:path';
import { counted } from '../core/plural.js';
import { printable } from '../core/printable.js';
import type { ExportSummary } from '../pipeline/export/run.js';
import type { IngestSummary } from '../pipeline/ingest/index.js';
import type { PurgeSummary } from '../pipeline/purge-run.js';

/** The human summary `ingest` prints. */
export function formatIngestSummary(s: IngestSummary): string {
  const lines = [
    `ingest: ${counted(s.listed, 'file')} listed, ${counted(s.fetched, 'file')} fetched in ${s.seconds.toFixed(2)} s` +
      (s.young
        ? `, ${s.young} too young (next poll${s.youngAheadSeconds ? `; dated up to ${s.youngAheadSeconds} s ahead of this machine's clock: is the server's clock ahead?` : ''})`
        : '') +
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
  if (s.kept.known)
    lines.push(
      `  kept files: ${s.kept.known} in the folder, ${s.kept.rechecked} read again to compare (a re-upload under the same name is found by its content)`,
    );
  if (s.waiting.length) {
    lines.push(
      `  waiting ${s.waiting.length} (unreadable but young, or changed since the listing; retried on the next poll):`,
    );
    lines.push(...grouped(s.waiting.map((w) => ({ file: w.file, text: w.detail }))));
  }
  if (s.changed.length) {
    lines.push(`  changed on the server after they were read ${s.changed.length} (nothing lost):`);
    lines.push(...grouped(s.changed.map((c) => ({ file: c.file, text: c.detail }))));
  }
  if (s.fetchErrors.length) {
    lines.push(`  could not fetch ${s.fetchErrors.length} (retried on the next poll):`);
    lines.push(...grouped(s.fetchErrors.map((e) => ({ file: e.file, text: e.error }))));
  }
  if (s.finishErrors.length) {
    lines.push(
      `  stored but not finished ${s.finishErrors.length} (retried on the next poll, without reading them again):`,
    );
    lines.push(...grouped(s.finishErrors.map((e) => ({ file: e.file, text: e.error }))));
  }
  if (s.notFetched)
    lines.push(
      `  not fetched ${s.notFetched} (the run stopped early; they stay for the next poll)`,
    );
  const skipped = formatSkipped(s.skipped);
  if (skipped)
    lines.push(`  skipped: ${skipped} (not regular files: never followed, read, moved or deleted)`);
  if (s.stoppedEarly) lines.push(`  stopped early: ${s.stoppedEarly}`);
  return lines.map(printable).join('\n');
}

/**
 * One line per file, or, for many files with the same message (a folder refused, a lost
 * connection), one line for all of them naming the first few.
 */
function grouped(items: { file: string; text: string }[], each = 3): string[] {
  // A message names its file: with the name taken out, the same failure reads the same.
  const byText = new Map<string, { files: string[]; texts: string[] }>();
  for (const i of items) {
    const key = i.text.split(i.file).join('<file>');
    const g = byText.get(key) ?? { files: [], texts: [] };
    g.files.push(i.file);
    g.texts.push(i.text);
    byText.set(key, g);
  }
  const lines: string[] = [];
  for (const [key, g] of byText) {
    if (g.files.length <= each) g.files.forEach((f, k) => lines.push(`    ${f}: ${g.texts[k]}`));
    else
      lines.push(`    ${g.files.length} files (${g.files.slice(0, each).join(', ')}, …): ${key}`);
  }
  return lines;
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
  // How many days, and how many of them hold nothing: a range over quiet days writes files
  // with only a header into every BI folder.
  const rowsByDay = new Map<string, number>();
  for (const f of s.files) rowsByDay.set(f.day, (rowsByDay.get(f.day) ?? 0) + f.rows);
  const empty = [...rowsByDay.values()].filter((n) => n === 0).length;
  const sorted = [...s.days].sort();
  const lines = [
    `export: ${counted(s.days.length, 'day')}` +
      (sorted.length > 1 ? `, first ${sorted[0]}, last ${sorted[sorted.length - 1]}` : '') +
      (empty ? ` (${empty} of them with no rows: header-only files)` : '') +
      `, ${counted(s.files.length - unchanged, 'file')} written` +
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
    lines.push(`  ${label}: ${verb} ${counted(items.length, 'file')}`);
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
