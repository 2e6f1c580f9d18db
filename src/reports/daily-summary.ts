import {
  REPLY_WINDOW_MS,
  foldOptOut,
  formatRatio,
  formatSeconds,
  interpolatePercentile,
} from '../core/outcomes.js';
import type { ReportDefinition } from './report.js';
import { FINAL_STATUS_ROWID, FIRST_DELIVERED_MS, classRank } from './sql.js';

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
  deliveredCount: number | null,
  medianLo: number | null,
  medianHi: number | null,
  p95Lo: number | null,
  p95Hi: number | null,
];

/** The value at a percentile's lower rank, and the one after it, over a channel's delivered sends. */
const rankValues = (percent: number, name: string): string =>
  `max(CASE WHEN k = (${percent} * (n - 1)) / 100 THEN ms END) AS ${name}_lo,
   max(CASE WHEN k = (${percent} * (n - 1)) / 100 + 1 THEN ms END) AS ${name}_hi`;

/**
 * `daily-summary`: per channel (inboundChannelAddress) per day, how many sends were delivered,
 * failed, unconfirmed or still pending, how fast delivery was, and how customers answered.
 * Everything is aggregated by SQLite; no day of rows is ever held in memory.
 */
export const dailySummaryReport: ReportDefinition = {
  name: 'daily-summary',
  columns: [
    'date',
    'inboundChannelAddress',
    'sent',
    'delivered',
    'failed',
    'unconfirmed',
    'pending',
    'deliveryRate',
    'medianSecondsToDelivery',
    'p95SecondsToDelivery',
    'inbound',
    'optOuts',
    'replied',
    'customers',
    'conversations',
  ],
  functions: [{ name: 'webio_fold', fn: (text: string) => foldOptOut(String(text)) }],
  sql: `
    WITH day_sends AS MATERIALIZED (
      SELECT s.inbound_channel_address AS ch, s.conversation_id AS conv,
             s.outbound_channel_address AS addr,
             CASE WHEN f.rowid IS NULL THEN 3 ELSE ${classRank('f.status_code')} END AS cls,
             ${FIRST_DELIVERED_MS} - s.date_ms AS ms,
             s.conversation_id <> '' AND EXISTS (
               SELECT 1 FROM inbound r
                WHERE r.conversation_id = s.conversation_id
                  AND r.date_ms > s.date_ms AND r.date_ms <= s.date_ms + ${REPLY_WINDOW_MS}) AS replied
        FROM sends s LEFT JOIN statuses f ON f.rowid = ${FINAL_STATUS_ROWID}
       WHERE s.date_ms >= @start AND s.date_ms < @end
    ),
    day_inbound AS (
      SELECT i.inbound_channel_address AS ch, i.conversation_id AS conv,
             i.outbound_channel_address AS addr,
             webio_fold(i.body) IN (SELECT value FROM json_each(@optOutWords)) AS opt_out
        FROM inbound i
       WHERE i.date_ms >= @start AND i.date_ms < @end
    ),
    counts AS (
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
             count(DISTINCT NULLIF(conv, '')) AS conversations
        FROM (SELECT ch, conv, addr, 1 AS is_send, cls, replied, 0 AS opt_out FROM day_sends
              UNION ALL
              SELECT ch, conv, addr, 0, NULL, 0, opt_out FROM day_inbound)
       GROUP BY ch
    ),
    ranked AS (
      SELECT ch, ms, row_number() OVER (PARTITION BY ch ORDER BY ms) - 1 AS k,
             count(*) OVER (PARTITION BY ch) AS n
        FROM day_sends WHERE cls = 0
    ),
    percentiles AS (
      SELECT ch, max(n) AS n, ${rankValues(50, 'median')}, ${rankValues(95, 'p95')}
        FROM ranked GROUP BY ch
    )
    SELECT c.ch, c.sent, c.delivered, c.failed, c.unconfirmed, c.pending, c.inbound, c.opt_outs,
           c.replied, c.customers, c.conversations,
           p.n, p.median_lo, p.median_hi, p.p95_lo, p.p95_hi
      FROM counts c LEFT JOIN percentiles p ON p.ch = c.ch
     ORDER BY c.ch`,
  toCsvRow(row, ctx) {
    const [ch, sent, delivered, failed, unconfirmed, pending, inbound, optOuts, replied] =
      row as Row;
    const [customers, conversations, n, medLo, medHi, p95Lo, p95Hi] = (row as Row).slice(9) as [
      number,
      number,
      number | null,
      number | null,
      number | null,
      number | null,
      number | null,
    ];
    const pct = (lo: number | null, hi: number | null, percent: number): string =>
      n === null || lo === null ? '' : formatSeconds(interpolatePercentile(lo, hi, n, percent));
    return [
      ctx.day,
      ctx.text(ch),
      String(sent),
      String(delivered),
      String(failed),
      String(unconfirmed),
      String(pending),
      formatRatio(delivered, sent),
      pct(medLo, medHi, 50),
      pct(p95Lo, p95Hi, 95),
      String(inbound),
      String(optOuts),
      String(replied),
      String(customers),
      String(conversations),
    ];
  },
};
