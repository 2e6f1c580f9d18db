/**
 * What the export catch-up decides, pure (the service and `status` pass what the store holds,
 * the schedule's last run and the clock).
 *
 * The store keeps the scheduled export that came due last and whether an export completed it
 * (`io/store/export-due.ts`). A run of the schedule that passed while the service was down,
 * or killed before its export wrote anything, was never recorded: the schedule itself says it
 * came due. Either way the service exports at once what is due (every changed day, plus
 * yesterday) instead of waiting a day for the next run.
 */

import type { CronSchedule } from './cron.js';

/** The scheduled export that came due last, and when an export completed it (null: not yet). */
export type ExportDueRecord = { dueAt: number; completedAt: number | null };

/** The scheduled export that should have run by now, and whether one has. */
export type DueExport = { dueAt: number; completed: boolean };

/**
 * The later of the recorded due export and the schedule's latest run at or before now
 * (`lastScheduledMs`), which, when it is later, has not run: nothing recorded it.
 */
export function dueExport(
  record: ExportDueRecord | undefined,
  lastScheduledMs: number | undefined,
): DueExport | undefined {
  if (lastScheduledMs !== undefined && (record === undefined || record.dueAt < lastScheduledMs))
    return { dueAt: lastScheduledMs, completed: false };
  return record && { dueAt: record.dueAt, completed: record.completedAt !== null };
}

/** True when the due export has not completed within `graceMs` of coming due. */
export function isOverdue(due: DueExport | undefined, nowMs: number, graceMs: number): boolean {
  return due !== undefined && !due.completed && nowMs - due.dueAt > graceMs;
}

/**
 * The windows health is judged by: the poll interval (the gap between the poll schedule's next
 * two runs) and the grace an export has to complete after it came due (15 minutes, or three
 * poll intervals if longer).
 */
export function healthWindows(
  poll: Pick<CronSchedule, 'next'>,
  nowMs: number,
): { pollIntervalMs: number; exportGraceMs: number } {
  const next1 = poll.next(nowMs);
  const next2 = next1 === undefined ? undefined : poll.next(next1);
  const pollIntervalMs = next1 !== undefined && next2 !== undefined ? next2 - next1 : 60_000;
  return { pollIntervalMs, exportGraceMs: Math.max(15 * 60_000, 3 * pollIntervalMs) };
}
