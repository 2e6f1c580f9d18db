import { formatIsoInZone } from '../core/days.js';
import { statusLabel } from '../core/csv-rows.js';
import type { ReportDefinition } from './report.js';

type Row = [
  communicationActionId: string,
  conversationId: string,
  dateMs: number,
  statusCode: string,
  outboundChannelAddress: string,
  inboundChannelAddress: string,
  customerUID: string,
];

/** `statuses`: one row per (communicationActionId, statusCode) delivery report. */
export const statusesReport: ReportDefinition = {
  name: 'statuses',
  columns: [
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'statusCode',
    'statusLabel',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'customerUID',
  ],
  sql: `SELECT communication_action_id, conversation_id, date_ms, status_code,
               outbound_channel_address, inbound_channel_address, customer_uid
          FROM statuses WHERE date_ms >= @start AND date_ms < @end
         ORDER BY date_ms, communication_action_id, status_code`,
  toCsvRow(row, ctx) {
    const [id, conv, dateMs, code, outbound, inbound, uid] = row as Row;
    return [
      ctx.text(id),
      ctx.text(conv),
      formatIsoInZone(dateMs, ctx.timeZone),
      ctx.text(code),
      ctx.text(statusLabel(code, ctx.labels)),
      ctx.address(outbound),
      ctx.text(inbound),
      ctx.text(uid),
    ];
  },
};
