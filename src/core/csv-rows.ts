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

/** A typed row as the store hands it to export. */
export type ReportRow = {
  communication_action_id: string;
  conversation_id: string;
  date_ms: number;
  outbound_channel_address: string;
  inbound_channel_address: string;
  customer_uid: string;
  body: string;
  status_code: string;
  latest_status_code: string | null;
  latest_status_ms: number | null;
};

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
  const date = formatIsoInZone(r.date_ms, ctx.timeZone);
  switch (report) {
    case 'sends': {
      const latest = r.latest_status_code;
      return [
        r.communication_action_id,
        r.conversation_id,
        date,
        r.outbound_channel_address,
        r.inbound_channel_address,
        r.customer_uid,
        ctx.escapeFormulas ? escapeFormula(r.body) : r.body,
        r.status_code,
        latest ?? '',
        latest === null ? '' : statusLabel(latest, ctx.labels),
        r.latest_status_ms === null ? '' : formatIsoInZone(r.latest_status_ms, ctx.timeZone),
      ];
    }
    case 'inbound':
      return [
        r.communication_action_id,
        r.conversation_id,
        date,
        r.outbound_channel_address,
        r.inbound_channel_address,
        r.customer_uid,
        ctx.escapeFormulas ? escapeFormula(r.body) : r.body,
      ];
    case 'statuses':
      return [
        r.communication_action_id,
        r.conversation_id,
        date,
        r.status_code,
        statusLabel(r.status_code, ctx.labels),
        r.outbound_channel_address,
        r.inbound_channel_address,
        r.customer_uid,
      ];
  }
}

/** `<report>/<report>-YYYY-MM-DD.csv`, relative to export.dir. */
export function reportFileName(report: Report, day: string): string {
  return `${report}/${report}-${day}.csv`;
}
