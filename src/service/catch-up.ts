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

import type { ExportDueRecord } from '../io/store/export-due.js';

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
