import { statusLabel } from '../core/status-labels.js';
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
    { name: 'communicationActionId', type: 'string', description: 'the id of the message sent' },
    { name: 'conversationId', type: 'string' },
    { name: 'dateCreated', type: 'datetime', description: 'when the delivery report was made' },
    { name: 'statusCode', type: 'string' },
    { name: 'statusLabel', type: 'string' },
    { name: 'outboundChannelAddress', type: 'string', description: "the customer's address" },
    { name: 'inboundChannelAddress', type: 'string', description: "the organisation's channel" },
    { name: 'customerUID', type: 'string' },
  ],
  primaryKey: ['communicationActionId', 'statusCode'],
  timeOrdered: true,
  sql: `SELECT communication_action_id, conversation_id, date_ms, status_code,
               outbound_channel_address, inbound_channel_address, customer_uid
          FROM statuses WHERE date_ms >= @start AND date_ms < @end
         ORDER BY date_ms, communication_action_id, status_code`,
  toRow(row, ctx) {
    const [id, conv, dateMs, code, outbound, inbound, uid] = row as Row;
    return [
      id,
      conv,
      dateMs,
      code,
      statusLabel(code, ctx.labels),
      ctx.address(outbound),
      inbound,
      uid,
    ];
  },
};
