import {
  REPLY_WINDOW_MS,
  foldOptOut,
  formatRatio,
  formatSeconds,
  exactPercentileMs,
} from '../core/outcomes.js';
import type { ReportDefinition, ReportParams, ReportTempTable } from './report.js';

type Row = [
  inboundChannelAddress: string,
  sent: number,
  delivered: number,
  failed: number,
  unconfirmed: number,
  pending: number,
  inbound: number,
  optOuts: number,
  replied: number,
  customers: number,
  conversations: number,
  medianMs: number | null,
  p95Ms: number | null,
];

/**
 * `temp.status_class (code, rank)`: the codes of `export.statusClasses` counted as delivered
 * (rank 0) or failed (rank 1); a code in neither is unconfirmed. The query finds a status's
 * class by a join on its primary key instead of reading the JSON parameters for every status.
 */
const statusClassTable: ReportTempTable = {
  name: 'status_class',
  create: `CREATE TEMP TABLE status_class (code TEXT PRIMARY KEY, rank INTEGER NOT NULL) WITHOUT ROWID`,
  insert: `INSERT OR IGNORE INTO temp.status_class VALUES (?, ?)`,
  rows: (params: ReportParams) => [
    ...(JSON.parse(params.delivered) as string[]).map((code) => [code, 0]),
    ...(JSON.parse(params.failed) as string[]).map((code) => [code, 1]),
  ],
};

/**
 * `daily-summary`: per channel (inboundChannelAddress) per day, how many sends were delivered,
 * failed, unconfirmed or still pending, how fast delivery was, and how customers answered.
 * Everything is aggregated by SQLite in one pass over the day's sends and inbound messages;
 * no day of rows is ever held in JavaScript.
 */
export const dailySummaryReport: ReportDefinition = {
  name: 'daily-summary',
  columns: [
    { name: 'date', type: 'date' },
    { name: 'inboundChannelAddress', type: 'string', description: "the organisation's channel" },
    { name: 'sent', type: 'integer' },
    { name: 'delivered', type: 'integer' },
    { name: 'failed', type: 'integer' },
    { name: 'unconfirmed', type: 'integer' },
    { name: 'pending', type: 'integer' },
    { name: 'deliveryRate', type: 'number', description: 'delivered / sent, 4 decimals' },
    { name: 'medianSecondsToDelivery', type: 'number' },
    { name: 'p95SecondsToDelivery', type: 'number' },
    { name: 'inbound', type: 'integer' },
    { name: 'optOuts', type: 'integer' },
    { name: 'replied', type: 'integer' },
    { name: 'customers', type: 'integer' },
    { name: 'conversations', type: 'integer' },
  ],
  primaryKey: ['date', 'inboundChannelAddress'],
  functions: [{ name: 'webio_fold', fn: (text: string) => foldOptOut(String(text)) }],
  tempTables: [statusClassTable],
  sql: `
    SELECT ch,
           count(*) FILTER (WHERE is_send) AS sent,
           count(*) FILTER (WHERE cls = 0) AS delivered,
           count(*) FILTER (WHERE cls = 1) AS failed,
           count(*) FILTER (WHERE cls = 2) AS unconfirmed,
           count(*) FILTER (WHERE cls = 3) AS pending,
           count(*) FILTER (WHERE NOT is_send) AS inbound,
           count(*) FILTER (WHERE opt_out) AS opt_outs,
           count(*) FILTER (WHERE replied) AS replied,
           count(DISTINCT NULLIF(addr, '')) AS customers,
           count(DISTINCT NULLIF(conv, '')) AS conversations,
           -- Over delivered sends only: ms is NULL for every other row, and aggregates skip NULL.
           percentile_cont(ms, 0.5) AS median_ms,
           percentile_cont(ms, 0.95) AS p95_ms
      FROM (
        SELECT ch, conv, addr, 1 AS is_send, cls, replied, 0 AS opt_out,
               CASE WHEN cls = 0 THEN (
                 SELECT min(d.date_ms) FROM statuses d
                   JOIN temp.status_class c ON c.code = d.status_code AND c.rank = 0
                  WHERE d.communication_action_id = id) - sent_ms END AS ms
          FROM (
            SELECT s.communication_action_id AS id, s.inbound_channel_address AS ch,
                   s.conversation_id AS conv, s.outbound_channel_address AS addr,
                   s.date_ms AS sent_ms,
                   -- The final status's class without sorting: the largest
                   -- date_ms * 4 + (2 - rank) is the latest status and, among equal times,
                   -- the best class (README, "Reports"); 3 is pending (no status).
                   coalesce((
                     SELECT 2 - ((max(x.date_ms * 4 + 2 - coalesce(c.rank, 2)) % 4) + 4) % 4
                       FROM statuses x LEFT JOIN temp.status_class c ON c.code = x.status_code
                      WHERE x.communication_action_id = s.communication_action_id), 3) AS cls,
                   s.conversation_id <> '' AND EXISTS (
                     SELECT 1 FROM inbound r
                      WHERE r.conversation_id = s.conversation_id
                        AND r.date_ms > s.date_ms
                        AND r.date_ms <= s.date_ms + ${REPLY_WINDOW_MS}) AS replied
              FROM sends s
             WHERE s.date_ms >= @start AND s.date_ms < @end
             -- A LIMIT keeps SQLite from flattening this into the outer query, which would
             -- evaluate the class subquery once per reference instead of once per send.
             LIMIT -1)
        UNION ALL
        SELECT i.inbound_channel_address, i.conversation_id, i.outbound_channel_address, 0,
               NULL, 0,
               -- Only a body no longer than the longest word once trimmed can be one
               -- (case folding never shortens text), so the fold runs for few rows.
               length(trim(i.body, @whitespace)) <= @optOutMaxLength
                 AND webio_fold(i.body) IN (SELECT value FROM json_each(@optOutWords)),
               NULL
          FROM inbound i
         WHERE i.date_ms >= @start AND i.date_ms < @end)
     GROUP BY ch
     ORDER BY ch`,
  toRow(row, ctx) {
    const [ch, sent, delivered, failed, unconfirmed, pending, inbound, optOuts, replied] =
      row as Row;
    const [customers, conversations, medianMs, p95Ms] = (row as Row).slice(9) as [
      number,
      number,
      number | null,
      number | null,
    ];
    const seconds = (ms: number | null): string =>
      ms === null ? '' : formatSeconds(exactPercentileMs(ms));
    return [
      ctx.day,
      ch,
      sent,
      delivered,
      failed,
      unconfirmed,
      pending,
      formatRatio(delivered, sent),
      seconds(medianMs),
      seconds(p95Ms),
      inbound,
      optOuts,
      replied,
      customers,
      conversations,
    ];
  },
};
