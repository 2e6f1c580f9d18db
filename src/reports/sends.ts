import { formatIsoInZone } from '../core/days.js';
import { statusLabel } from '../core/csv-rows.js';
import { finalStatus, formatSeconds, type StoredStatus } from '../core/outcomes.js';
import type { ReportContext, ReportDefinition } from './report.js';

type Row = [
  communicationActionId: string,
  conversationId: string,
  dateMs: number,
  outboundChannelAddress: string,
  inboundChannelAddress: string,
  customerUID: string,
  body: string,
  statusCode: string,
  /** The send's statuses, `<date_ms>:<hex of the code's UTF-8>` joined by ",", or null. */
  statuses: string | null,
];

/** Decoded status codes by their hex form (a handful in practice; bounded regardless). */
const codeOfHex = new Map<string, string>();

function decodeStatuses(list: string): StoredStatus[] {
  const out: StoredStatus[] = [];
  for (const item of list.split(',')) {
    const colon = item.indexOf(':');
    const hex = item.slice(colon + 1);
    let code = codeOfHex.get(hex);
    if (code === undefined) {
      code = Buffer.from(hex, 'hex').toString('utf8');
      if (codeOfHex.size >= 10_000) codeOfHex.clear();
      codeOfHex.set(hex, code);
    }
    out.push({ code, dateMs: Number(item.slice(0, colon)) });
  }
  return out;
}

/** The earliest delivered status's time. */
function firstDeliveredMs(statuses: readonly StoredStatus[], ctx: ReportContext): number {
  let first = Number.POSITIVE_INFINITY;
  for (const st of statuses)
    if (st.dateMs < first && ctx.classify(st.code) === 'delivered') first = st.dateMs;
  return first;
}

/** `sends`: one row per messageSend, with what became of it. */
export const sendsReport: ReportDefinition = {
  name: 'sends',
  columns: [
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
    'outcome',
    'secondsToDelivery',
  ],
  // Each send's statuses come along as one string (one index range per send); the final
  // status and the first delivery are then chosen by core/outcomes.ts, the rules' definition.
  sql: `SELECT s.communication_action_id, s.conversation_id, s.date_ms, s.outbound_channel_address,
               s.inbound_channel_address, s.customer_uid, s.body, s.status_code,
               (SELECT group_concat(x.date_ms || ':' || hex(x.status_code), ',')
                  FROM statuses x WHERE x.communication_action_id = s.communication_action_id)
          FROM sends s
         WHERE s.date_ms >= @start AND s.date_ms < @end
         ORDER BY s.date_ms, s.communication_action_id`,
  toCsvRow(row, ctx) {
    const [id, conv, dateMs, outbound, inbound, uid, body, code, list] = row as Row;
    const statuses = list === null ? [] : decodeStatuses(list);
    const final = finalStatus(statuses, ctx.classify);
    const outcome = final === undefined ? 'pending' : ctx.classify(final.code);
    return [
      ctx.text(id),
      ctx.text(conv),
      formatIsoInZone(dateMs, ctx.timeZone),
      ctx.address(outbound),
      ctx.text(inbound),
      ctx.text(uid),
      ctx.text(body),
      ctx.text(code),
      final === undefined ? '' : ctx.text(final.code),
      final === undefined ? '' : ctx.text(statusLabel(final.code, ctx.labels)),
      final === undefined ? '' : formatIsoInZone(final.dateMs, ctx.timeZone),
      outcome,
      outcome === 'delivered' ? formatSeconds(firstDeliveredMs(statuses, ctx) - dateMs) : '',
    ];
  },
};
