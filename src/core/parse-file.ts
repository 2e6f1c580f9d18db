import { canonicalJson, TooDeepError } from './canonical-json.js';
import { eventSchemas, isMessageType, type ParsedEvent, type ParsedMessage } from './events.js';
import { parseWebioDate } from './days.js';
import { describeJsonSyntaxError } from './json-syntax.js';

/** Why a file was refused. `retryable` reasons may just mean the upload is not finished. */
export type RejectReason =
  | 'empty'
  | 'not-utf8'
  | 'not-json'
  | 'not-an-event'
  | 'invalid-event'
  | 'missing-communicationActionId'
  | 'too-large'
  | 'too-many-events';

export type ParsedFile =
  | { ok: true; events: ParsedEvent[] }
  | { ok: false; reason: RejectReason; detail: string; retryable: boolean };

const MAX_PROBLEMS_SHOWN = 5;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Parses one webhook file: a JSON object, a JSON array of objects, or NDJSON; UTF-8 with or
 * without BOM. A file is accepted whole or refused whole, with the reason and the place
 * (event index or line) of every problem.
 */
export function parseWebhookFile(
  bytes: Uint8Array,
  sourceTimeZone: string,
  nowMs: number,
  /** More events than this in one file refuses the file (sftp.maxEventsPerFile). */
  maxEvents = Number.POSITIVE_INFINITY,
): ParsedFile {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return {
      ok: false,
      reason: 'not-utf8',
      detail: 'the file is not valid UTF-8',
      retryable: false,
    };
  }
  if (text.trim() === '') {
    return { ok: false, reason: 'empty', detail: 'the file is empty', retryable: true };
  }
  const values = parseJsonValues(text);
  if (!values.ok) return values;
  if (values.items.length > maxEvents) {
    return {
      ok: false,
      reason: 'too-many-events',
      detail: `${values.items.length} events is over sftp.maxEventsPerFile (${maxEvents})`,
      retryable: false,
    };
  }
  if (values.items.length === 0) {
    return {
      ok: false,
      reason: 'empty',
      detail: 'the file holds an empty JSON array',
      retryable: false,
    };
  }

  const events: ParsedEvent[] = [];
  const problems: { reason: RejectReason; text: string }[] = [];
  values.items.forEach((item, i) => {
    const where = values.labels
      ? values.labels[i]
      : values.items.length > 1
        ? `event ${i}`
        : 'event';
    const result = toEvent(item, sourceTimeZone, nowMs);
    if ('problem' in result)
      problems.push({ reason: result.reason, text: `${where}: ${result.problem}` });
    else events.push(result);
  });
  if (problems.length) {
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => p.text);
    if (problems.length > MAX_PROBLEMS_SHOWN)
      shown.push(`and ${problems.length - MAX_PROBLEMS_SHOWN} more`);
    const reason = problems.every((p) => p.reason === problems[0]?.reason)
      ? (problems[0]?.reason ?? 'invalid-event')
      : 'invalid-event';
    return { ok: false, reason, detail: shown.join('; '), retryable: false };
  }
  return { ok: true, events };
}

type JsonValues =
  | { ok: true; items: unknown[]; labels?: string[] }
  | { ok: false; reason: RejectReason; detail: string; retryable: boolean };

function parseJsonValues(text: string): JsonValues {
  let whole: unknown;
  let wholeError: string;
  try {
    whole = JSON.parse(text);
    return { ok: true, items: Array.isArray(whole) ? whole : [whole] };
  } catch (err) {
    wholeError =
      err instanceof RangeError ? 'nested too deeply to read' : describeJsonSyntaxError(text);
  }
  // NDJSON: one JSON value per non-empty line.
  const lines = text.split(/\r?\n/);
  const items: unknown[] = [];
  const labels: string[] = [];
  let nonEmpty = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    nonEmpty++;
    try {
      items.push(JSON.parse(line));
      labels.push(`line ${i + 1}`);
    } catch (err) {
      if (nonEmpty > 1 || i > 0) {
        const why =
          err instanceof RangeError ? 'nested too deeply to read' : describeJsonSyntaxError(line);
        return {
          ok: false,
          reason: 'not-json',
          detail: `line ${i + 1} is not JSON: ${why}`,
          retryable: true,
        };
      }
      break;
    }
  }
  if (nonEmpty > 1 && items.length === nonEmpty) return { ok: true, items, labels };
  return { ok: false, reason: 'not-json', detail: `not JSON: ${wholeError}`, retryable: true };
}

type EventResult = ParsedEvent | { problem: string; reason: RejectReason };

/** The earliest dateCreated accepted: Webio's events are all later than this. */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
/** How far past the time of ingest a dateCreated may be (clock skew, time zone mistakes). */
export const MAX_FUTURE_MS = 7 * 86_400_000;

/** Why a dateCreated read as `ms` cannot be right, or undefined when it can. */
function implausibleDate(ms: number, nowMs: number): string | undefined {
  if (ms < EARLIEST_EVENT_MS) return 'dateCreated is before 2000-01-01';
  if (ms > nowMs + MAX_FUTURE_MS) return 'dateCreated is more than 7 days after the time of ingest';
  return undefined;
}

function toEvent(item: unknown, sourceTimeZone: string, nowMs: number): EventResult {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    return { problem: `not a JSON object (${describeValue(item)})`, reason: 'not-an-event' };
  }
  const obj = item as Record<string, unknown>;
  const type = Object.hasOwn(obj, 'type') ? obj.type : undefined;
  if (typeof type !== 'string' || type.trim() === '') {
    return { problem: 'has no "type" field naming the event', reason: 'not-an-event' };
  }
  let payload: string;
  try {
    payload = canonicalJson(obj);
  } catch (err) {
    if (err instanceof TooDeepError) return { problem: err.message, reason: 'invalid-event' };
    throw err;
  }
  if (!isMessageType(type)) {
    const dateMs =
      typeof obj.dateCreated === 'string'
        ? parseWebioDate(obj.dateCreated, sourceTimeZone)
        : undefined;
    if (dateMs === undefined) return { type, payload };
    const wrong = implausibleDate(dateMs, nowMs);
    return wrong
      ? { problem: `${type} ${wrong}`, reason: 'invalid-event' }
      : { type, payload, dateMs };
  }

  if (
    !Object.hasOwn(obj, 'communicationActionId') ||
    obj.communicationActionId === null ||
    obj.communicationActionId === ''
  ) {
    return {
      problem: `${type} has no communicationActionId`,
      reason: 'missing-communicationActionId',
    };
  }
  const result = eventSchemas[type].safeParse(obj);
  if (!result.success) {
    const issues = result.error.issues.map(
      (iss) => `${iss.path.join('.') || type}: ${iss.message}`,
    );
    return { problem: `${type} ${issues.join(', ')}`, reason: 'invalid-event' };
  }
  const v = result.data;
  const dateMs = parseWebioDate(v.dateCreated, sourceTimeZone);
  if (dateMs === undefined)
    return { problem: `${type} dateCreated: unreadable`, reason: 'invalid-event' };
  const wrong = implausibleDate(dateMs, nowMs);
  if (wrong) return { problem: `${type} ${wrong}`, reason: 'invalid-event' };
  const message: ParsedMessage = {
    type,
    communicationActionId: v.communicationActionId,
    conversationId: v.conversationId,
    outboundChannelAddress: v.outboundChannelAddress,
    inboundChannelAddress: v.inboundChannelAddress,
    customerUID: v.customerUID,
    body: 'body' in v && typeof v.body === 'string' ? v.body : '',
    statusCode: 'statusCode' in v && typeof v.statusCode === 'string' ? v.statusCode : '',
    dateCreated: v.dateCreated,
    dateMs,
  };
  return { type, payload, message };
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}
