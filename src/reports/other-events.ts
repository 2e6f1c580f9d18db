import { textOf, type ReportDefinition } from './report.js';

type Row = [
  type: string,
  communicationActionId: unknown,
  conversationId: unknown,
  dateMs: number | null,
  dateCreated: unknown,
  outboundChannelAddress: unknown,
  inboundChannelAddress: unknown,
  payload: string,
];

/**
 * `other-events`: every stored event of a type without a table of its own (payment,
 * setStatus, conversationClosed, …), on the day of its dateCreated, or of its arrival when it
 * has none, so nothing Webio sends stays invisible to BI.
 */
export const otherEventsReport: ReportDefinition = {
  name: 'other-events',
  columns: [
    { name: 'type', type: 'string', description: 'the event type, e.g. payment' },
    { name: 'communicationActionId', type: 'string' },
    { name: 'conversationId', type: 'string' },
    {
      name: 'dateCreated',
      type: 'datetime',
      // The CSV shows a dateCreated that could not be read as sent; Parquet has null there
      // (the text is in payload).
      csvType: 'string',
      description: 'ISO 8601 with the offset; a dateCreated that could not be read, as sent',
    },
    { name: 'outboundChannelAddress', type: 'string', description: "the customer's address" },
    { name: 'inboundChannelAddress', type: 'string', description: "the organisation's channel" },
    { name: 'payload', type: 'string', description: "the event's JSON, one line" },
  ],
  timeOrdered: true,
  sql: `SELECT type, json_extract(payload, '$.communicationActionId'),
               json_extract(payload, '$.conversationId'), date_ms,
               json_extract(payload, '$.dateCreated'),
               json_extract(payload, '$.outboundChannelAddress'),
               json_extract(payload, '$.inboundChannelAddress'), payload
          FROM raw_events
         WHERE outcome = 'other' AND report_ms >= @start AND report_ms < @end
         ORDER BY report_ms, type, payload_hash`,
  toRow(row, ctx) {
    const [type, id, conv, dateMs, dateCreated, outbound, inbound, payload] = row as Row;
    return [
      type,
      textOf(id),
      textOf(conv),
      // A dateCreated that could not be read is shown as sent; an absent one stays empty.
      dateMs === null ? textOf(dateCreated) || null : dateMs,
      ctx.address(outbound),
      textOf(inbound),
      ctx.payload(payload),
    ];
  },
};
