import { loadConfig } from '../config/load.js';
import { TABLES } from '../core/dedup.js';
import { printable } from '../core/printable.js';
import { formatStatusCodes, STATUS_CHECK_DAYS } from '../core/status-check.js';
import type { StatusReport } from '../jobs/index.js';
import type { CommonOptions, Output } from './context.js';
import { defineCommand } from './define.js';
import { formatSkipped } from './format.js';

/** `status` as text for a person: the report's facts, one per line, warnings last. */
export function formatStatus(s: StatusReport): string {
  const c = s.counts;
  const skipped = formatSkipped(s.skippedEntries);
  const lines = [
    `store: ${s.database}`,
    `rows: ${TABLES.map((r) => `${r} ${c.typed[r]}`).join(', ')}; conflicts ${c.conflicts}`,
    `raw ledger: ${
      Object.entries(c.rawByType)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ') || 'empty'
    }`,
    `last poll: ${s.lastPoll ? `${s.lastPoll.at} ${s.lastPoll.ok ? 'ok' : `FAILED: ${s.lastPoll.error}`}` : 'never'}` +
      (s.lastSuccessfulPoll && !s.lastPoll?.ok ? ` (last ok ${s.lastSuccessfulPoll})` : ''),
    s.exportDue && !s.exportDue.completed
      ? `last export: NOT DONE: the export due at ${s.exportDue.dueAt} has not completed (${s.exportDue.why})` +
        (s.lastSuccessfulExport ? `; last ok ${s.lastSuccessfulExport}` : '')
      : `last export: ${s.lastExport ? `${s.lastExport.at} ${s.lastExport.ok ? 'ok' : `FAILED: ${s.lastExport.error}`}` : 'never'}` +
        (s.lastSuccessfulExport && !s.lastExport?.ok ? ` (last ok ${s.lastSuccessfulExport})` : ''),
    `last error: ${s.lastError ? `${s.lastError.at} ${s.lastError.kind}: ${s.lastError.error}` : 'none'}`,
    `last file arrived: ${s.lastFileAt ?? 'never'}`,
    `files waiting on the server after the last poll: ${s.filesWaiting ?? 'unknown (no poll has listed the folder yet)'}`,
    ...(skipped
      ? [
          `skipped by the last poll: ${skipped} (matching the pattern but not regular files; left alone)`,
        ]
      : []),
    `days waiting for export: ${s.pendingExportDays.join(', ') || 'none'}`,
    `per day (${s.days.length} days, export time zone):`,
    ...s.days.map(
      (d) =>
        `  ${d.day}  sends ${d.sends} (delivered ${d.outcomes.delivered}, failed ${d.outcomes.failed}, unconfirmed ${d.outcomes.unconfirmed}, pending ${d.outcomes.pending}, replied ${d.outcomes.replied}); ` +
        `inbound ${d.inbound} (opt-outs ${d.outcomes.optOuts}); statuses ${d.statuses}; other events ${d.other}`,
    ),
    `status codes (last ${STATUS_CHECK_DAYS} days): ${formatStatusCodes(s.statusCodes)}`,
    `quarantine: ${s.quarantine.total} file(s)`,
    ...s.quarantine.latest.map(
      (q) =>
        `  ${q.at} ${q.name}: ${q.reason}: ${q.detail}${q.movedTo ? ` (now ${q.movedTo})` : ''}`,
    ),
    ...s.unfinishedFiles.map(
      (f) => `  not yet finished: ${f.name} (${f.finish}${f.error ? `: ${f.error}` : ''})`,
    ),
    ...s.warnings.map((w) => `WARNING: ${w}`),
  ];
  return lines.map(printable).join('\n');
}

/** `status`: counts, last runs, quarantine and warnings. */
async function statusCommand(opts: CommonOptions, output: Output): Promise<number> {
  const { readStatus } = await import('../jobs/index.js');
  const config = loadConfig(opts.config, process.env, { needsSftp: false });
  const report = readStatus(config, Date.now());
  if (!report) {
    output.out(
      opts.json
        ? JSON.stringify({ database: config.database.path, exists: false })
        : `store: ${config.database.path} does not exist yet; run \`webio-reports ingest\``,
    );
    return 0;
  }
  output.out(opts.json ? JSON.stringify(report, null, 2) : formatStatus(report));
  // A verdict for scripts and monitoring: 0 healthy, 1 when anything is worth a warning.
  return report.healthy ? 0 : 1;
}

export const command = defineCommand({
  name: 'status',
  summary: 'counts per type and day, last poll/export and their outcome, quarantine, warnings',
  action: statusCommand,
});
