import { dailySummaryReport } from './daily-summary.js';
import { inboundReport } from './inbound.js';
import { otherEventsReport } from './other-events.js';
import type { ReportDefinition } from './report.js';
import { sendsReport } from './sends.js';
import { statusesReport } from './statuses.js';

/** Every daily report, in the order they are written. A new report is one module added here. */
export const REPORTS: readonly ReportDefinition[] = [
  sendsReport,
  inboundReport,
  statusesReport,
  dailySummaryReport,
  otherEventsReport,
];

export type {
  Cell,
  ColumnType,
  ExportFormat,
  ReportColumn,
  ReportContext,
  ReportDefinition,
  ReportParams,
  ReportTempTable,
  SqlValue,
} from './report.js';
export { reportFileName, textOf } from './report.js';
