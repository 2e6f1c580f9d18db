import { formatIsoInZone } from '../core/days.js';
import type { ReportDefinition } from './report.js';

type Row = [
  communicationActionId: string,
  conversationId: string,
  dateMs: number,
  outboundChannelAddress: string,
  inboundChannelAddress: string,
  customerUID: string,
  body: string,
];

/** `inbound`: one row per inboundMessage. */
export const inboundReport: ReportDefinition = {
  name: 'inbound',
  columns: [
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
    'body',
  ],
  sql: `SELECT communication_action_id, conversation_id, date_ms, outbound_channel_address,
               inbound_channel_address, customer_uid, body
          FROM inbound WHERE date_ms >= @start AND date_ms < @end
         ORDER BY date_ms, communication_action_id`,
  toCsvRow(row, ctx) {
    const [id, conv, dateMs, outbound, inbound, uid, body] = row as Row;
    return [
      ctx.text(id),
      ctx.text(conv),
      formatIsoInZone(dateMs, ctx.timeZone),
      ctx.address(outbound),
      ctx.text(inbound),
      ctx.text(uid),
      ctx.text(body),
    ];
  },
};
