import { addDays, dayInZone, daysBetween, dayProblem } from '../core/days.js';
import { counted } from '../core/plural.js';
import { AppError } from '../errors.js';
import { defineCommand } from './define.js';
import {
  commandContext,
  printResult,
  withStore,
  type CommonOptions,
  type Output,
} from './context.js';
import { formatExportSummary } from './format.js';

/** The `export` command's options: the common ones and the days to write. */
export type ExportCommandOptions = CommonOptions & { date?: string; from?: string; to?: string };

const MAX_RANGE_DAYS = 3660;

/**
 * Turns --date / --from / --to into a list of days, or undefined for the default set. With
 * `today` (the day in export.timezone), a day after tomorrow is refused: no event can be
 * dated there yet, and its header-only files would land in the BI folders. (Tomorrow is
 * allowed: a machine behind the export zone may already have events of its today there.)
 */
export function chooseDays(
  opts: {
    date?: string | undefined;
    from?: string | undefined;
    to?: string | undefined;
  },
  today?: { day: string; timeZone: string },
): string[] | undefined {
  const usage = (msg: string) => new AppError('USAGE', msg, { exitCode: 2 });
  for (const [flag, v] of [
    ['--date', opts.date],
    ['--from', opts.from],
    ['--to', opts.to],
  ] as const) {
    const problem = v === undefined ? undefined : dayProblem(v);
    if (problem === 'not-a-date') throw usage(`${flag} ${v}: expected a date as YYYY-MM-DD`);
    if (problem === 'no-such-day')
      throw usage(`${flag} ${v}: there is no such day in the calendar`);
  }
  if (opts.date && (opts.from || opts.to))
    throw usage('give either --date or --from/--to, not both');
  if (today) {
    const tomorrow = addDays(today.day, 1);
    for (const [flag, v] of [
      ['--date', opts.date],
      ['--from', opts.from],
      ['--to', opts.to],
    ] as const) {
      if (v !== undefined && v > tomorrow)
        throw usage(
          `${flag} ${v} is after tomorrow (${tomorrow} in ${today.timeZone}, export.timezone): no event is dated there yet, so its files would only hold headers; give a day up to ${tomorrow}`,
        );
    }
  }
  if (opts.date) return [opts.date];
  if (opts.from || opts.to) {
    if (!opts.from || !opts.to) throw usage('--from and --to go together');
    if (opts.from > opts.to) throw usage(`--from ${opts.from} is after --to ${opts.to}`);
    const days = daysBetween(opts.from, opts.to);
    if (days.length > MAX_RANGE_DAYS)
      throw usage(`--from/--to span ${days.length} days; at most ${MAX_RANGE_DAYS}`);
    return days;
  }
  return undefined;
}

/** `export`: writes the CSV files for the chosen days. */
async function exportCommand(opts: ExportCommandOptions, output: Output): Promise<number> {
  const { exportOnce, finishPendingErasure } = await import('../jobs/index.js');
  // Flags first (a bad date is a usage error whatever the config), then the days that exist.
  chooseDays(opts);
  const { config, log } = commandContext(opts, output, false);
  const days = chooseDays(opts, {
    day: dayInZone(Date.now(), config.export.timezone),
    timeZone: config.export.timezone,
  });
  return withStore(config, async (store, stop) => {
    await finishPendingErasure(config, store, log);
    const started = Date.now();
    const summary = await exportOnce(config, store, log, days, stop.signal);
    // The default days are what the scheduled export writes: done by hand, it is done.
    if (days === undefined && summary.failures.length === 0 && !stop.received)
      store.completeExportDue(started, Date.now());
    const written = summary.files.filter((f) => !f.unchanged).length;
    const failure =
      stop.stopped(
        `${counted(written, 'file')} written; the one being written was removed, and the days not written stay marked for the next export`,
      ) ??
      (summary.failures.length
        ? new AppError(
            'EXPORT_FAILED',
            `${counted(summary.failures.length, 'file')} not written (first: ${summary.failures[0]?.path}: ${summary.failures[0]?.error}); previous files are intact and the days stay marked for the next export`,
          )
        : undefined);
    return printResult(opts, output, summary, () => formatExportSummary(summary), failure);
  });
}

export const command = defineCommand({
  name: 'export',
  summary: 'write the daily CSV files (default: every changed day, plus yesterday)',
  options: [
    { flags: '--date <YYYY-MM-DD>', description: 'export this one day' },
    { flags: '--from <YYYY-MM-DD>', description: 'first day of a range (with --to)' },
    { flags: '--to <YYYY-MM-DD>', description: 'last day of a range, inclusive' },
  ],
  action: exportCommand,
});
