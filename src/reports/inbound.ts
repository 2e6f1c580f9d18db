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
    { name: 'communicationActionId', type: 'string', description: "Webio's id of the message" },
    { name: 'conversationId', type: 'string' },
    { name: 'dateCreated', type: 'datetime', description: 'when the message arrived' },
    { name: 'outboundChannelAddress', type: 'string', description: "the customer's address" },
    { name: 'inboundChannelAddress', type: 'string', description: "the organisation's channel" },
    { name: 'customerUID', type: 'string' },
    { name: 'body', type: 'string' },
  ],
  primaryKey: ['communicationActionId'],
  timeOrdered: true,
  sql: `SELECT communication_action_id, conversation_id, date_ms, outbound_channel_address,
               inbound_channel_address, customer_uid, body
          FROM inbound WHERE date_ms >= @start AND date_ms < @end
         ORDER BY date_ms, communication_action_id`,
  toRow(row, ctx) {
    const [id, conv, dateMs, outbound, inbound, uid, body] = row as Row;
    return [id, conv, dateMs, ctx.address(outbound), inbound, uid, body];
  },
};
