import { formatIsoInZone } from '../core/days.js';
import type { ReportDefinition } from './report.js';

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
    'type',
    'communicationActionId',
    'conversationId',
    'dateCreated',
    'outboundChannelAddress',
    'inboundChannelAddress',
    'payload',
  ],
  sql: `SELECT type, json_extract(payload, '$.communicationActionId'),
               json_extract(payload, '$.conversationId'), date_ms,
               json_extract(payload, '$.dateCreated'),
               json_extract(payload, '$.outboundChannelAddress'),
               json_extract(payload, '$.inboundChannelAddress'), payload
          FROM raw_events
         WHERE outcome = 'other' AND report_ms >= @start AND report_ms < @end
         ORDER BY report_ms, type, payload_hash`,
  toCsvRow(row, ctx) {
    const [type, id, conv, dateMs, dateCreated, outbound, inbound, payload] = row as Row;
    return [
      ctx.text(type),
      ctx.text(id),
      ctx.text(conv),
      // A dateCreated that could not be read is shown as sent; an absent one stays empty.
      dateMs === null ? ctx.text(dateCreated) : formatIsoInZone(dateMs, ctx.timeZone),
      ctx.address(outbound),
      ctx.text(inbound),
      ctx.payload(payload),
    ];
  },
};
