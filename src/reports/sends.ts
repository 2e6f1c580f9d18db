import { statusLabel } from '../core/status-labels.js';
import { finalStatus, formatSeconds, type StoredStatus } from '../core/outcomes.js';
import { textOf, type ReportContext, type ReportDefinition } from './report.js';

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
    { name: 'communicationActionId', type: 'string', description: "Webio's id of the message" },
    { name: 'conversationId', type: 'string' },
    { name: 'dateCreated', type: 'datetime', description: 'when the message was sent' },
    { name: 'outboundChannelAddress', type: 'string', description: "the customer's address" },
    { name: 'inboundChannelAddress', type: 'string', description: "the organisation's channel" },
    { name: 'customerUID', type: 'string' },
    { name: 'body', type: 'string' },
    { name: 'statusCode', type: 'string', description: "the send's own code" },
    { name: 'latestStatusCode', type: 'string', description: 'the code of the final status' },
    { name: 'latestStatusLabel', type: 'string' },
    { name: 'latestStatusAt', type: 'datetime' },
    {
      name: 'outcome',
      type: 'string',
      description: 'delivered, failed, unconfirmed or pending',
    },
    { name: 'secondsToDelivery', type: 'number' },
  ],
  primaryKey: ['communicationActionId'],
  timeOrdered: true,
  // Each send's statuses come along as one string (one index range per send); the final
  // status and the first delivery are then chosen by core/outcomes.ts, the rules' definition.
  sql: `SELECT s.communication_action_id, s.conversation_id, s.date_ms, s.outbound_channel_address,
               s.inbound_channel_address, s.customer_uid, s.body, s.status_code,
               (SELECT group_concat(x.date_ms || ':' || hex(x.status_code), ',')
                  FROM statuses x WHERE x.communication_action_id = s.communication_action_id)
          FROM sends s
         WHERE s.date_ms >= @start AND s.date_ms < @end
         ORDER BY s.date_ms, s.communication_action_id`,
  toRow(row, ctx) {
    const [id, conv, dateMs, outbound, inbound, uid, body, code, list] = row as Row;
    const statuses = list === null ? [] : decodeStatuses(list);
    const final = finalStatus(statuses, ctx.classify);
    const outcome = final === undefined ? 'pending' : ctx.classify(final.code);
    return [
      id,
      conv,
      dateMs,
      ctx.address(outbound),
      inbound,
      uid,
      body,
      textOf(code),
      final === undefined ? '' : final.code,
      final === undefined ? '' : statusLabel(final.code, ctx.labels),
      final === undefined ? null : final.dateMs,
      outcome,
      outcome === 'delivered' ? formatSeconds(firstDeliveredMs(statuses, ctx) - dateMs) : '',
    ];
  },
};
