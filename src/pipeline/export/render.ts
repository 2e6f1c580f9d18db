import { createHmac } from 'node:crypto';
import { stringify } from 'csv-stringify/sync';
import { csvCellWriter } from '../../core/csv-cells.js';
import { dayRange } from '../../core/days.js';
import { classOf, foldOptOut, type StatusClass } from '../../core/outcomes.js';
import {
  textOf,
  type ReportContext,
  type ReportDefinition,
  type ReportParams,
} from '../../reports/index.js';
import { exportFormats, type ExportOptions } from './options.js';
import type { CreateTableEncoder, ExportChunk, ExportStore } from './ports.js';

/** The cell rules and classes of one export, shared by every report's row mapping. */
export function reportContext(opts: ExportOptions, day: string): ReportContext {
  const classOfCode = new Map<string, StatusClass>();
  const classify = (code: string): StatusClass => {
    let cls = classOfCode.get(code);
    if (cls === undefined) {
      cls = classOf(code, opts.classes);
      classOfCode.set(code, cls);
    }
    return cls;
  };
  const pseudonym = addressPseudonym(opts);
  const address = pseudonym
    ? (value: unknown): string =>
        value === null || value === undefined || value === '' ? '' : pseudonym(String(value))
    : textOf;
  return {
    day,
    timeZone: opts.timeZone,
    labels: opts.labels,
    classes: opts.classes,
    optOutWords: opts.optOutWords,
    classify,
    address,
    payload: (json) => {
      if (!pseudonym) return json;
      const event = JSON.parse(json) as Record<string, unknown>;
      if (event.outboundChannelAddress === undefined) return json;
      return JSON.stringify({
        ...event,
        outboundChannelAddress: address(event.outboundChannelAddress),
      });
    },
  };
}

/**
 * How a customer address is pseudonymised, or undefined for plain. "hash": HMAC-SHA256 hex,
 * so the same address always gives the same value and BI can still count and join; "mask":
 * all but the last 4 characters replaced by `*`.
 */
function addressPseudonym(opts: ExportOptions): ((address: string) => string) | undefined {
  if (opts.addressMode === 'hash') {
    const key = opts.hashKey;
    if (!key) throw new Error('addressMode "hash" needs hashKey');
    return (a) => createHmac('sha256', key).update(a, 'utf8').digest('hex');
  }
  if (opts.addressMode === 'mask') {
    return (a) => {
      const chars = [...a];
      return '*'.repeat(Math.max(0, chars.length - 4)) + chars.slice(-4).join('');
    };
  }
  return undefined;
}

/** The named parameters of every report query for one day. */
export function reportParams(
  opts: Pick<ExportOptions, 'timeZone' | 'classes' | 'optOutWords'>,
  day: string,
): ReportParams {
  const { startMs, endMs } = dayRange(day, opts.timeZone);
  const words = opts.optOutWords.map(foldOptOut);
  return {
    start: startMs,
    end: endMs,
    delivered: JSON.stringify(opts.classes.delivered),
    failed: JSON.stringify(opts.classes.failed),
    optOutWords: JSON.stringify(words),
    optOutMaxLength: Math.max(0, ...words.map((w) => w.length)),
    whitespace: WHITESPACE,
  };
}

/** ECMAScript's WhiteSpace and LineTerminator characters: what String.prototype.trim removes. */
const WHITESPACE =
  '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

/** Rows handed to csv-stringify at a time, by default. */
const PAGE_ROWS = 50;
/** CSV text gathered before it is passed on as one chunk, by default (UTF-16 code units). */
const CHUNK_CHARS = 8 * 1024;

/**
 * One report's day as chunks: CSV text (file 0), written by csv-stringify's sync API a page of
 * rows at a time (RFC 4180, the cells already formula-escaped and cleaned by
 * `core/csv-cells.ts`) and passed on once `chunkChars` of it are gathered, and, with a Parquet
 * encoder, Parquet bytes (file 1) a row group at a time, from the same rows in the same order,
 * with values as stored.
 */
export function* reportChunks(
  store: ExportStore,
  report: ReportDefinition,
  params: ReportParams,
  ctx: ReportContext,
  opts: ExportOptions,
  counter: { rows: number },
  createParquet?: CreateTableEncoder,
  /**
   * Which files to render (default: CSV, and Parquet when `opts.formats` has it), and
   * whether the CSV starts with its header: a later time slice of a day has none.
   */
  parts: { csv?: boolean; parquet?: boolean; header?: boolean } = {},
): Generator<ExportChunk> {
  const pageSize = opts.pageSize ?? PAGE_ROWS;
  const chunkChars = opts.chunkChars ?? CHUNK_CHARS;
  const toCsv = csvCellWriter(report.columns, opts);
  const csv = parts.csv ?? true;
  const withParquet = parts.parquet ?? exportFormats(opts).includes('parquet');
  if (withParquet && !createParquet) throw new Error('writing Parquet needs a Parquet encoder');
  const encoder = withParquet ? createParquet?.(report.columns) : undefined;
  // The BOM and the header start the first chunk.
  let text =
    parts.header === false
      ? ''
      : (opts.bom ? '\ufeff' : '') + stringify([report.columns.map((c) => c.name)]);
  let page: string[][] = [];
  const rows = store.iterateRows(report, params);
  try {
    for (let r = rows.next(); !r.done; r = rows.next()) {
      const cells = report.toRow(r.value, ctx);
      counter.rows++;
      if (encoder) {
        const bytes = encoder.add(cells);
        if (bytes) yield { file: 1, data: bytes };
        if (!csv) continue;
        page.push(toCsv(cells));
      } else {
        // Nothing else reads the cells: the CSV cells take their place (one array less a row).
        page.push(toCsv(cells, cells));
      }
      if (page.length < pageSize) continue;
      text += stringify(page);
      page = [];
      if (text.length < chunkChars) continue;
      yield { file: 0, data: text };
      text = '';
    }
  } finally {
    rows.return?.();
  }
  if (csv) yield { file: 0, data: page.length ? text + stringify(page) : text };
  if (encoder) yield { file: 1, data: encoder.finish() };
}
