import { statusLabel } from './status-labels.js';
import { classOf, type StatusClass, type StatusClasses } from './outcomes.js';

/** Days the status-code check looks back over: the 7 days `status` lists, today included. */
export const STATUS_CHECK_DAYS = 7;

/** One status code seen in the delivery reports, as the reports read it. */
export type SeenStatusCode = { code: string; count: number; label: string; class: StatusClass };

/** Delivery reports needed before "none delivered" says more about the codes than the traffic. */
export const STATUS_CHECK_MIN_REPORTS = 100;

/**
 * The status-code check (README, `status` and `doctor`): the codes delivery reports carried, each with its
 * label and class by the configured lists, and a warning when at least 100 reports arrived
 * and none is in the delivered class. Webio's change notice shows a send with code "1" and
 * its delivery report with "2", which under the published outcome list would read "Invalid"
 * then "Unavailable": whether an account's codes follow that list cannot be known from here,
 * so a mapping that counts nothing as delivered is made visible instead.
 */
export function checkStatusCodes(
  counts: readonly { code: string; count: number }[],
  labels: Readonly<Record<string, string>>,
  classes: StatusClasses,
  days: number,
): { codes: SeenStatusCode[]; reports: number; delivered: number; warning?: string } {
  const codes = counts.map((c) => ({
    code: c.code,
    count: c.count,
    label: statusLabel(c.code, labels),
    class: classOf(c.code, classes),
  }));
  const reports = codes.reduce((n, c) => n + c.count, 0);
  const delivered = codes.filter((c) => c.class === 'delivered').reduce((n, c) => n + c.count, 0);
  if (reports < STATUS_CHECK_MIN_REPORTS || delivered > 0) return { codes, reports, delivered };
  return {
    codes,
    reports,
    delivered,
    warning: `${reports} delivery reports in the last ${days} days and none in the delivered class (codes ${codes.map((c) => c.code).join(', ')}): the account may use other codes than Webio's published outcomes; check them with Webio and set export.statusClasses (and export.statusLabels)`,
  };
}

/** The codes as one line: `0 Delivered (delivered) 120; 77 (unconfirmed) 3`. */
export function formatStatusCodes(codes: readonly SeenStatusCode[]): string {
  if (!codes.length) return 'none';
  return codes
    .map((c) => `${c.code}${c.label ? ` ${c.label}` : ''} (${c.class}) ${c.count}`)
    .join('; ');
}
