import { formatIsoInZone } from './days.js';

export type Report = 'sends' | 'inbound' | 'statuses';
export const REPORTS: readonly Report[] = ['sends', 'inbound', 'statuses'];

/** The public CSV columns, in order (DESIGN.md's contract). */
export const COLUMNS: Record<Report, readonly string[]> = {
  sends: [
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
    'body',
    'statusCode',
    'latestStatusCode',
    'latestStatusLabel',
    'latestStatusAt',
  ],
  inbound: [
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
    'body',
  ],
  statuses: [
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'statusCode',
    'statusLabel',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
  ],
};

/** Webio's published "Message Outcomes": the default labels of messageStatusUpdate codes. */
export const DEFAULT_STATUS_LABELS: Readonly<Record<string, string>> = {
  '0': 'Delivered',
  '1': 'Invalid',
  '2': 'Unavailable',
  '3': 'Network error',
  '5': 'Expired',
  '6': 'Invalid message structure',
  '7': 'Invalid contact structure',
  '9': 'Overrun',
  '10': 'Blocklisted',
  '11': 'Profanity',
  '12': 'Rejected',
  '14': 'Unconfirmed',
};

/**
 * A typed row as the store hands it to export: a plain array in this column order, which
 * SQLite fills about a quarter faster than an object per row.
 */
export type ReportRow = [
  communicationActionId: string,
  conversationId: string,
  dateMs: number,
  outboundChannelAddress: string,
  inboundChannelAddress: string,
  customerUID: string,
  body: string,
  statusCode: string,
  latestStatusCode: string | null,
  latestStatusMs: number | null,
];

export type RowContext = {
  timeZone: string;
  labels: Readonly<Record<string, string>>;
  escapeFormulas: boolean;
};

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * Prefixes `'` to free text a spreadsheet would run as a formula (starts with = + - @ tab CR).
 */
export function escapeFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** The label of a status code: config overrides, then Webio's defaults; unknown is "". */
export function statusLabel(code: string, labels: Readonly<Record<string, string>>): string {
  return Object.hasOwn(labels, code) ? (labels[code] ?? '') : '';
}

/** Merges config overrides over the default labels. */
export function mergeLabels(overrides: Readonly<Record<string, string>>): Record<string, string> {
  return { ...DEFAULT_STATUS_LABELS, ...overrides };
}

/** One CSV record of a report, columns in `COLUMNS[report]` order. */
export function toCsvRow(report: Report, r: ReportRow, ctx: RowContext): string[] {
  const [
    id,
    conversationId,
    dateMs,
    outbound,
    inbound,
    customerUID,
    body,
    statusCode,
    latestCode,
    latestMs,
  ] = r;
  const date = formatIsoInZone(dateMs, ctx.timeZone);
  const text = ctx.escapeFormulas ? escapeFormula(body) : body;
  switch (report) {
    case 'sends':
      return [
        id,
        conversationId,
        date,
        outbound,
        inbound,
        customerUID,
        text,
        statusCode,
        latestCode ?? '',
        latestCode === null ? '' : statusLabel(latestCode, ctx.labels),
        latestMs === null ? '' : formatIsoInZone(latestMs, ctx.timeZone),
      ];
    case 'inbound':
      return [id, conversationId, date, outbound, inbound, customerUID, text];
    case 'statuses':
      return [
        id,
        conversationId,
        date,
        statusCode,
        statusLabel(statusCode, ctx.labels),
        outbound,
        inbound,
        customerUID,
      ];
  }
}

/** `<report>/<report>-YYYY-MM-DD.csv`, relative to export.dir. */
export function reportFileName(report: Report, day: string): string {
  return `${report}/${report}-${day}.csv`;
}
