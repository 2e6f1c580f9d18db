import { formatIsoInZone } from '../core/days.js';
import { statusLabel } from '../core/csv-rows.js';
import { formatSeconds } from '../core/outcomes.js';
import type { ReportDefinition } from './report.js';
import { FINAL_STATUS_ROWID, FIRST_DELIVERED_MS } from './sql.js';

type Row = [
  communicationActionId: string,
  conversationId: string,
  dateMs: number,
  outboundChannelAddress: string,
  inboundChannelAddress: string,
  customerUID: string,
  body: string,
  statusCode: string,
  finalCode: string | null,
  finalMs: number | null,
  firstDeliveredMs: number | null,
];

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
  sql: `SELECT s.communication_action_id, s.conversation_id, s.date_ms, s.outbound_channel_address,
               s.inbound_channel_address, s.customer_uid, s.body, s.status_code,
               f.status_code, f.date_ms, ${FIRST_DELIVERED_MS}
          FROM sends s LEFT JOIN statuses f ON f.rowid = ${FINAL_STATUS_ROWID}
         WHERE s.date_ms >= @start AND s.date_ms < @end
         ORDER BY s.date_ms, s.communication_action_id`,
  toCsvRow(row, ctx) {
    const [id, conv, dateMs, outbound, inbound, uid, body, code, finalCode, finalMs, deliveredMs] =
      row as Row;
    const outcome = finalCode === null ? 'pending' : ctx.classify(finalCode);
    return [
      ctx.text(id),
      ctx.text(conv),
      formatIsoInZone(dateMs, ctx.timeZone),
      ctx.address(outbound),
      ctx.text(inbound),
      ctx.text(uid),
      ctx.text(body),
      ctx.text(code),
      finalCode === null ? '' : ctx.text(finalCode),
      finalCode === null ? '' : ctx.text(statusLabel(finalCode, ctx.labels)),
      finalMs === null ? '' : formatIsoInZone(finalMs, ctx.timeZone),
      outcome,
      outcome === 'delivered' && deliveredMs !== null ? formatSeconds(deliveredMs - dateMs) : '',
    ];
  },
};
